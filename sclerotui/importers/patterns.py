"""The patterns and tables the registry importer reads ClinicalTrials.gov records with: the
disease and its subsets and organs, interventions, outcome measures and time frames."""

from __future__ import annotations

import re

from sclerotui.vocabulary import MEASURE_TITLES

# -- recognising the disease, its subsets and organs ---------------------------------------

SSC_RE = re.compile(
    r"systemic[- ]sclerosis|sclerodermi?a|\bSSc\b|\bCREST\b|sclérodermie", re.IGNORECASE
)
# Localised scleroderma (morphea) is a skin disease, not systemic sclerosis.
LOCALISED_RE = re.compile(
    r"(?:juvenile\s+)?locali[sz]ed\s+scleroderma|linear\s+scleroderma|morphoea|morphea",
    re.IGNORECASE,
)
SUBTYPE_PATTERNS = {
    "diffuse": r"diffuse[- ]cutaneous|\bdcSSc\b|diffuse\s+(?:systemic\s+sclerosis|scleroderma)",
    "limited": r"limited[- ]cutaneous|\blcSSc\b|limited\s+(?:systemic\s+sclerosis|scleroderma)",
    "sine": r"sine\s+scleroderma|\bssSSc\b",
}
ORGAN_PATTERNS = {
    "skin": r"\bskin\b|\bmRSS\b|rodnan",
    "lung": r"\bILD\b|interstitial|pulmonary\s+fibrosis|\bFVC\b|forced\s+vital\s+capacity|"
    r"\bSSc-ILD\b",
    "pah": r"pulmonary\s+arterial\s+hypertension|\bPAH\b|\bSSc-PAH\b",
    "renal": r"renal\s+crisis|\bSRC\b",
    "vascular": r"raynaud|digital\s+ulcer",
    "gi": r"gastro|oesophag|esophag|\bGI\b|intestin|bowel|\bGAVE\b|reflux|dysphagia",
    "cardiac": r"cardiac|\bheart\b|myocard|pericard",
    "musculoskeletal": r"arthritis|tendon\s+friction|contracture|musculoskeletal|myositis",
}
EXCLUSION_RE = re.compile(r"exclusion\s+criteria", re.IGNORECASE)

# -- interventions -----------------------------------------------------------------------

NO_THERAPY_RE = re.compile(
    r"placebo|\bsham\b|standard\s+(?:of\s+)?care|usual\s+care|best\s+supportive\s+care|"
    r"no\s+intervention|\bvehicle\b|background\s+therapy|observation\s+only",
    re.IGNORECASE,
)
# A placebo "matching nintedanib" is still a placebo: it never takes the drug's therapy.
PLACEBO_RE = re.compile(r"placebo|\bsham\b|\bvehicle\b|\bdummy\b", re.IGNORECASE)
TYPE_PREFIX_RE = re.compile(
    r"^(?:drug|biological|device|procedure|radiation|behavioral|genetic|dietary supplement|"
    r"combination product|diagnostic test|other)\s*:\s*",
    re.IGNORECASE,
)
DOSE_RE = re.compile(r"\d\s*(?:mg|g|µg|mcg|ug|ml|iu|units?|ng)\b", re.IGNORECASE)

# -- outcome measures --------------------------------------------------------------------

# (our measure name, pattern over the outcome title), from vocabulary.MEASURE_TITLES.
MEASURE_PATTERNS = [
    (name, re.compile(pattern, re.IGNORECASE)) for name, pattern in MEASURE_TITLES.items()
]
PERCENT_PREDICTED_RE = re.compile(
    r"%\s*(?:of\s+)?pred|percent(?:age)?\s+(?:of\s+)?predicted|%\s*predicted|\bpp\b",
    re.IGNORECASE,
)
MILLILITRES_RE = re.compile(r"\bml\b|millilit", re.IGNORECASE)
PER_YEAR_RE = re.compile(r"per\s+year|/\s*year|\bannual|\byearly\b|per\s+annum", re.IGNORECASE)
CHANGE_RE = re.compile(
    r"\bchange|\bdecline|\brate\b|\bdifference\b|from\s+baseline|\bdecrease|\bincrease",
    re.IGNORECASE,
)
PARTICIPANTS_RE = re.compile(r"participant|patient|subject|people", re.IGNORECASE)

PARAM_TYPES = {
    "MEAN": "mean",
    "MEDIAN": "median",
    "LEAST_SQUARES_MEAN": "least-squares mean",
    "GEOMETRIC_MEAN": "geometric mean",
    "GEOMETRIC_LEAST_SQUARES_MEAN": "geometric least-squares mean",
    "LOG_MEAN": "log mean",
    "NUMBER": "number",
    "COUNT_OF_PARTICIPANTS": "count of participants",
    "COUNT_OF_UNITS": "count of units",
}
MASKING = {
    "NONE": "open-label",
    "SINGLE": "single-blind",
    "DOUBLE": "double-blind",
    "TRIPLE": "triple-blind",
    "QUADRUPLE": "quadruple-blind",
}
ALLOCATION = {"RANDOMIZED": "randomised", "NON_RANDOMIZED": "non-randomised"}
MODELS = {
    "PARALLEL": "parallel-group",
    "CROSSOVER": "crossover",
    "SINGLE_GROUP": "single-group",
    "FACTORIAL": "factorial",
    "SEQUENTIAL": "sequential",
}

# -- time frames -------------------------------------------------------------------------

UNIT_WEEKS = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "year": 52.0}
_UNIT = r"(day|week|month|year|wk|mo|yr)s?\b"
_NUM = r"(\d+(?:\.\d+)?)"
TIME_UNIT_ALIASES = {"wk": "week", "mo": "month", "yr": "year"}
# "52 weeks", "52-week", "12 months"; "0 to 52 weeks" (the number before 'to' shares the unit)
NUMBER_UNIT_RE = re.compile(_NUM + r"(?:\s*(?:to|-|–|and|or)\s*" + _NUM + r")?\s*-?\s*" + _UNIT)
# "Week 52", "Weeks 12 and 24", "Month 12", "Day 28", "weeks 0-52"
UNIT_NUMBER_RE = re.compile(
    r"\b" + _UNIT + r"\s*" + _NUM + r"((?:\s*(?:,|to|-|–|and|or|through)\s*\d+(?:\.\d+)?)*)",
    re.IGNORECASE,
)
BASELINE_RE = re.compile(r"\bbaseline\b|\bscreening\b|\bday\s*(?:0|1)\b", re.IGNORECASE)
