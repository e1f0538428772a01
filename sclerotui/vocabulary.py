"""The domain's fixed vocabularies: subtypes, organs, responses, measures and the like.

Plain enums and tables without pydantic, so the explorer's first screen can use them before
the models (and pydantic, slow to import) are loaded.
"""

from __future__ import annotations

from enum import StrEnum


class TherapyClass(StrEnum):
    IMMUNOSUPPRESSANT = "immunosuppressant"
    ANTIFIBROTIC = "antifibrotic"
    BIOLOGIC = "biologic"  # B-cell depletion, IL-6 blockade, co-stimulation blockade
    CELL_THERAPY = "cell-therapy"  # autologous HSCT
    VASODILATOR = "vasodilator"
    ERA = "endothelin-receptor-antagonist"
    PDE5 = "pde5-inhibitor"
    PROSTANOID = "prostanoid"
    ACE_INHIBITOR = "ace-inhibitor"
    APHERESIS = "apheresis"
    JAK_INHIBITOR = "jak-inhibitor"  # tofacitinib, baricitinib (so grouped in the case sheet)
    ARB = "angiotensin-receptor-blocker"  # losartan: "angiotensin II type 1 receptor antagonist"
    PROCEDURE = "procedure-or-supportive"  # dialysis, transfusion, nutrition, drainage, surgery
    OTHER = "other"
    NOT_STATED = "not-stated"  # the sources read name no class for it; never a guess


class Subtype(StrEnum):
    LIMITED = "limited"
    DIFFUSE = "diffuse"
    SINE = "sine"
    NOT_STATED = "not-stated"  # the source does not say (a seed essay, say); never a guess


class Organ(StrEnum):
    SKIN = "skin"
    LUNG = "lung"  # interstitial lung disease
    PAH = "pah"  # pulmonary arterial hypertension
    RENAL = "renal"  # scleroderma renal crisis
    VASCULAR = "vascular"  # Raynaud's phenomenon, digital ulcers
    GI = "gi"
    CARDIAC = "cardiac"
    MUSCULOSKELETAL = "musculoskeletal"
    CALCINOSIS = "calcinosis"  # calcinosis cutis


class Autoantibody(StrEnum):
    SCL70 = "anti-scl-70"
    ACA = "anticentromere"
    RNAP3 = "anti-rnap-iii"
    U1RNP = "anti-u1rnp"
    PMSCL = "anti-pm-scl"
    OTHER = "other"
    NEGATIVE = "negative"
    UNKNOWN = "unknown"


class Response(StrEnum):
    RESPONDED = "responded"
    PARTIAL = "partial"
    RESISTANT = "resistant"
    INTOLERANT = "intolerant"
    UNKNOWN = "unknown"


FAILED_RESPONSES = (Response.PARTIAL, Response.RESISTANT, Response.INTOLERANT)


class EvidenceType(StrEnum):
    RCT = "rct"
    INTERVENTIONAL = "interventional"  # assigned treatment, not (stated to be) randomised
    OBSERVATIONAL = "observational"
    REVIEW = "review"
    CASE_REPORT = "case-report"


# Short labels for lists and headings.
SUBTYPE_SHORT = {
    "limited": "lcSSc",
    "diffuse": "dcSSc",
    "sine": "ssSSc",
    "not-stated": "subtype not stated",
}
TYPE_SHORT = {
    "rct": "RCT",
    "interventional": "interventional",
    "observational": "observational",
    "review": "review",
    "case-report": "case report",
}


class SourceKind(StrEnum):
    NCT = "nct"
    PMID = "pmid"
    DOI = "doi"
    SEED = "seed"  # the project's seed documents (the three resistance essays)
    CITATION = "citation"  # a journal citation without a verified PMID/DOI


class EventKind(StrEnum):
    DIAGNOSIS = "diagnosis"
    THERAPY_START = "therapy-start"
    THERAPY_STOP = "therapy-stop"
    MEASUREMENT = "measurement"
    RESPONSE = "response-assessment"
    ADVERSE_EVENT = "adverse-event"
    PROCEDURE = "procedure"


class Statistic(StrEnum):
    """What a measured number is; ranges are only checked for absolute values."""

    VALUE = "value"  # an absolute reading (mean or median of an arm, or one patient)
    CHANGE = "change"  # change from baseline
    RATE = "rate"  # per-year rate, e.g. FVC mL/year
    COUNT = "count"  # events per patient, e.g. new digital ulcers
    PERCENT = "percent"  # share of patients


class EffectScale(StrEnum):
    """What a between-arm effect estimate is; its value of no effect follows from it."""

    DIFFERENCE = "difference"  # intervention minus comparator, in the measure's own unit
    ODDS_RATIO = "odds-ratio"
    HAZARD_RATIO = "hazard-ratio"
    RISK_RATIO = "risk-ratio"
    RATE_RATIO = "rate-ratio"


RATIO_SCALES = (
    EffectScale.ODDS_RATIO,
    EffectScale.HAZARD_RATIO,
    EffectScale.RISK_RATIO,
    EffectScale.RATE_RATIO,
)
SCALE_SHORT = {
    EffectScale.DIFFERENCE: "difference",
    EffectScale.ODDS_RATIO: "OR",
    EffectScale.HAZARD_RATIO: "HR",
    EffectScale.RISK_RATIO: "RR",
    EffectScale.RATE_RATIO: "rate ratio",
}


def no_effect(scale: EffectScale) -> float:
    """The value meaning "no difference between arms": a definition, not a computed figure."""
    return 1.0 if scale in RATIO_SCALES else 0.0


class Favours(StrEnum):
    """Which direction of the estimate favours the intervention arm."""

    HIGHER = "higher"
    LOWER = "lower"


# Valid ranges for absolute values of each measure (inclusive).
MEASURE_RANGES: dict[str, tuple[float, float]] = {
    "mRSS": (0, 51),
    "FVC %pred": (10, 150),
    "FVC mL": (200, 8000),
    "DLCO %pred": (5, 200),
    "HAQ-DI": (0, 3),
    "creatinine": (0, 3000),
    "6MWD": (0, 1000),
    "RCS": (0, 100),
    "new DUs": (0, 1000),
    "CRISS": (0, 1),
}
MEASURES = tuple(MEASURE_RANGES)
# How a registry outcome's title names each measure (case-blind; FVC and DLCO also need a
# unit to tell %pred from mL). Pattern text only: sclerotui.importers.patterns compiles it.
MEASURE_TITLES: dict[str, str] = {
    "mRSS": r"\bmRSS\b|modified\s+rodnan|rodnan\s+skin",
    "FVC": r"\bFVC\b|forced\s+vital\s+capacity",
    "DLCO": r"\bDLCO\b|diffusing\s+capacity",
    "HAQ-DI": r"\bHAQ(?:-DI)?\b|health\s+assessment\s+questionnaire",
    "6MWD": r"\b6[- ]?min(?:ute)?[- ]walk|six[- ]minute\s+walk|\b6MW[DT]\b",
    "RCS": r"raynaud'?s?\s+condition\s+score|\bRCS\b",
    "new DUs": r"new\s+(?:digital\s+)?ulcers?|new\s+DUs?\b",
    "CRISS": r"\bCRISS\b|composite\s+response\s+index",
    "creatinine": r"creatinine(?!\s+clearance)",
}


class DataError(Exception):
    """A problem with input data, located by file, record and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
