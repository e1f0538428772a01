"""Patients like mine: a patient profile, and what the database knows about patients like her.

The profile is what a clinician types — subtype, autoantibodies, organ domains, disease
duration, the therapies tried with the response to each, and optionally the latest mRSS, FVC
and DLCO — with no name, date of birth or identifier field (the model forbids any other
field). It lives in memory; saving it is the user's choice (`save_profile`).

Three answers, each explained:

- **Similar cases** (`similar_cases`), ranked by a weighted count of shared features, each
  hit listing what matched and what differs. The weights (WEIGHTS) say what a clinician
  bringing this question cares most about: the same failed therapy counts most (4 each), then
  the same subtype and each shared autoantibody (3 each, the strongest known predictors of
  course and organ involvement in SSc), a therapy she responded to that the case responded to
  as well (2), and each shared organ domain (1: organ lists are long and overlap a lot).
  Disease duration and the latest measurements are not used: cases record neither as a field.
  Ties go to the case sharing more of her therapy history, then to the smaller case id, so
  the ranking is the same on every run. The query is SQL over the indexed facets and
  case-therapy tables; only the few candidates that can reach the top are scored in Python.
- **Trials whose population fits** (`trial_fit`): each trial's stated entry criteria
  (models.Eligibility) checked against the profile, with a reason per criterion; criteria a
  source does not state are "not stated", never guessed.
- **What came next** (`lens_pathways`): the resistance pathways from her last failed
  therapy, over cases like hers (sclerotui.pathways).

No Textual here: the lens screen asks these functions, in workers, and shows the results.
"""

from __future__ import annotations

import heapq
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sclerotui.facets import FACETS, Criteria
from sclerotui.origin import timestamp
from sclerotui.store import Store
from sclerotui.vocabulary import (
    FAILED_RESPONSES,
    SUBTYPE_SHORT,
    Autoantibody,
    Organ,
    Response,
    Subtype,
)

FAILED = tuple(r.value for r in FAILED_RESPONSES)
SLUG = r"^[a-z0-9][a-z0-9-]*$"

# What a shared feature adds to a case's similarity (see the module's docstring).
WEIGHTS = {"failed": 4, "subtype": 3, "antibody": 3, "responded": 2, "organ": 1}
# Antibody values that say nothing specific about a patient: never counted as shared.
VAGUE_ANTIBODIES = {Autoantibody.OTHER.value, Autoantibody.UNKNOWN.value}
SIMILAR_LIMIT = 20
CHUNK = 400  # ids per IN (...) list, well under SQLite's parameter limit
ANTIBODY_SHORT = {
    "anti-scl-70": "anti-Scl-70",
    "anticentromere": "anticentromere",
    "anti-rnap-iii": "anti-RNAP III",
    "anti-u1rnp": "anti-U1RNP",
    "anti-pm-scl": "anti-PM/Scl",
    "negative": "antibody-negative",
}
ORGAN_WORDS = {"lung": "lung (ILD)", "pah": "PAH", "gi": "GI", "vascular": "vascular"}


# -- the profile -----------------------------------------------------------------------------


class ProfileStep(BaseModel):
    """One step of her treatment: a regimen of therapies given together, and her response."""

    model_config = ConfigDict(extra="forbid")
    therapies: list[Annotated[str, Field(pattern=SLUG, max_length=80)]] = Field(min_length=1)
    response: Response


class Profile(BaseModel):
    """A patient profile for the lens. No name, date of birth or identifier: any field not
    declared here is refused (extra="forbid"), also when a saved profile is read back."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    subtype: Subtype | None = None
    autoantibodies: list[Autoantibody] = []
    organs: list[Organ] = []
    disease_years: Annotated[float, Field(ge=0, le=80)] | None = None
    steps: list[ProfileStep] = []
    mrss: Annotated[float, Field(ge=0, le=51)] | None = None
    fvc: Annotated[float, Field(ge=10, le=150)] | None = None  # % predicted
    dlco: Annotated[float, Field(ge=5, le=200)] | None = None  # % predicted

    @field_validator("autoantibodies", "organs")
    @classmethod
    def _distinct(cls, values: list) -> list:
        return list(dict.fromkeys(values))

    @property
    def is_empty(self) -> bool:
        return self == Profile()

    def failed_therapies(self) -> list[str]:
        return list(
            dict.fromkeys(t for s in self.steps if s.response.value in FAILED for t in s.therapies)
        )

    def responded_therapies(self) -> list[str]:
        return list(
            dict.fromkeys(
                t for s in self.steps if s.response == Response.RESPONDED for t in s.therapies
            )
        )

    def last_failed_step(self) -> ProfileStep | None:
        failed = [s for s in self.steps if s.response.value in FAILED]
        return failed[-1] if failed else None


class ProfileError(ValueError):
    """A profile field that cannot be read: `field` names it, the message says why."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(message)


# (field, label, example shown as the input's placeholder)
FORM_FIELDS = (
    ("subtype", "Subtype", "diffuse, limited, sine"),
    ("antibodies", "Autoantibodies", "scl-70, aca, rnap, u1rnp, pm-scl, negative"),
    ("organs", "Organ domains", "lung, skin, pah, renal, vascular, gi, cardiac, msk"),
    ("years", "Disease duration (years)", "e.g. 3"),
    ("therapies", "Therapies tried, in order", "cyclophosphamide failed; mmf + rituximab partial"),
    ("mrss", "Latest mRSS (0-51)", "optional"),
    ("fvc", "FVC % predicted", "optional"),
    ("dlco", "DLCO % predicted", "optional"),
)
FIELD_LABELS = {name: label for name, label, _ in FORM_FIELDS}


def _word(vocabulary: str, field_name: str, word: str) -> str:
    """One typed word of a vocabulary (aliases and unique prefixes as in the search box)."""
    choices = FACETS[vocabulary].words
    word = word.strip().lower()
    if word in choices:
        return choices[word]
    starts = {value for key, value in choices.items() if key.startswith(word)}
    if len(starts) == 1:
        return starts.pop()
    known = ", ".join(sorted(set(choices.values())))
    raise ProfileError(field_name, f"unknown {vocabulary} {word!r} (known: {known})")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[,;\s]+", text.strip()) if w]


def _number(field_name: str, text: str, low: float, high: float) -> float | None:
    text = text.strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ProfileError(field_name, f"{text!r} is not a number") from None
    if not low <= value <= high:
        raise ProfileError(field_name, f"{value:g} is outside {low:g}–{high:g}")
    return value


class TherapyWords:
    """Reads therapy names as typed (id, name, alias; a unique prefix will do)."""

    def __init__(self, therapies: Iterable[tuple[str, str, list[str]]]):
        self.names: dict[str, str] = {}
        self.exact: dict[str, set[str]] = {}
        for therapy_id, name, aliases in therapies:
            self.names[therapy_id] = name
            for word in (therapy_id, name, *aliases):
                self.exact.setdefault(word.lower(), set()).add(therapy_id)

    def resolve(self, word: str) -> str:
        word = " ".join(word.lower().split())
        if word in self.exact and len(self.exact[word]) == 1:
            return next(iter(self.exact[word]))
        starts = {t for key, ids in self.exact.items() if key.startswith(word) for t in ids}
        if len(starts) == 1:
            return starts.pop()
        if not starts:
            raise ProfileError("therapies", f"no therapy called {word!r}")
        shown = ", ".join(sorted(self.names[t] for t in starts)[:6])
        raise ProfileError("therapies", f"{word!r} could be any of: {shown}")


RESPONSE_WORDS = FACETS["response"].words | {
    "fail": "resistant",
    "resistance": "resistant",
    "intolerance": "intolerant",
    "stopped": "intolerant",
    "responding": "responded",
    "response": "responded",
    "?": "unknown",
}


def parse_steps(text: str, words: TherapyWords) -> list[ProfileStep]:
    """`cyclophosphamide failed; mycophenolate + rituximab partial` — steps in order, each a
    regimen (therapies joined by +) and the response (after a space or a colon)."""
    steps = []
    for part in re.split(r"[;\n]|->|→|,(?![^+]*\+)", text):
        part = part.strip()
        if not part:
            continue
        head, _, tail = part.rpartition(":") if ":" in part else part.rpartition(" ")
        response_word = tail.strip().lower()
        if not head.strip() or response_word not in RESPONSE_WORDS:
            raise ProfileError(
                "therapies",
                f"{part!r}: end each step with the response (responded, partial, failed, "
                "intolerant or unknown)",
            )
        therapies = [words.resolve(name) for name in head.split("+") if name.strip()]
        if len(set(therapies)) != len(therapies):
            raise ProfileError("therapies", f"{part!r}: a therapy is named twice in one step")
        steps.append(ProfileStep(therapies=therapies, response=RESPONSE_WORDS[response_word]))
    return steps


def parse_form(values: dict[str, str], words: TherapyWords) -> Profile:
    """A profile from the form's fields (all text); raises ProfileError naming the field."""
    get = lambda name: (values.get(name) or "").strip()  # noqa: E731
    subtype = None
    if get("subtype"):
        typed = _words(get("subtype"))
        if len(typed) > 1:
            raise ProfileError("subtype", "one subtype")
        subtype = _word("subtype", "subtype", typed[0])
    antibodies = [_word("antibody", "antibodies", w) for w in _words(get("antibodies"))]
    organs = [_word("organ", "organs", w) for w in _words(get("organs"))]
    try:
        return Profile(
            subtype=subtype,
            autoantibodies=antibodies,
            organs=organs,
            disease_years=_number("years", get("years"), 0, 80),
            steps=parse_steps(get("therapies"), words),
            mrss=_number("mrss", get("mrss"), 0, 51),
            fvc=_number("fvc", get("fvc"), 10, 150),
            dlco=_number("dlco", get("dlco"), 5, 200),
        )
    except ValidationError as error:  # the checks above should leave nothing for these
        first = error.errors()[0]
        raise ProfileError(str(first["loc"][0]), first["msg"]) from None


def form_values(profile: Profile, names: dict[str, str]) -> dict[str, str]:
    """The form's fields for a profile (to edit it again)."""

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    return {
        "subtype": profile.subtype.value if profile.subtype else "",
        "antibodies": ", ".join(a.value for a in profile.autoantibodies),
        "organs": ", ".join(o.value for o in profile.organs),
        "years": number(profile.disease_years),
        "therapies": "; ".join(
            f"{' + '.join(names.get(t, t) for t in s.therapies)}: {s.response.value}"
            for s in profile.steps
        ),
        "mrss": number(profile.mrss),
        "fvc": number(profile.fvc),
        "dlco": number(profile.dlco),
    }


def step_text(step: ProfileStep, names: dict[str, str]) -> str:
    return f"{' + '.join(names.get(t, t) for t in step.therapies)} {step.response.value}"


def describe_profile(profile: Profile, names: dict[str, str]) -> str:
    """The profile in one line: `dcSSc · anti-Scl-70 · lung (ILD), skin · 3 y · …`."""
    parts = []
    if profile.subtype is not None:
        parts.append(SUBTYPE_SHORT.get(profile.subtype.value, profile.subtype.value))
    if profile.autoantibodies:
        parts.append(
            ", ".join(ANTIBODY_SHORT.get(a.value, a.value) for a in profile.autoantibodies)
        )
    if profile.organs:
        parts.append(", ".join(ORGAN_WORDS.get(o.value, o.value) for o in profile.organs))
    if profile.disease_years is not None:
        parts.append(f"{profile.disease_years:g} y since first non-Raynaud symptom")
    if profile.steps:
        parts.append(" → ".join(step_text(s, names) for s in profile.steps))
    for label, value, unit in (
        ("mRSS", profile.mrss, ""),
        ("FVC", profile.fvc, "%"),
        ("DLCO", profile.dlco, "%"),
    ):
        if value is not None:
            parts.append(f"{label} {value:g}{unit}")
    return " · ".join(parts) or "empty profile"


# -- saving the profile (the user's choice) ---------------------------------------------------

SLOT = "last"  # one saved profile: for the next visit, with nothing to say whose it is


class ProfileNotSaved(Exception):
    """Saving the profile was refused; the message says why and what to do."""


def private_problem(store: Store) -> str | None:
    """Why this database is no place for a patient profile, or None."""
    if store.read_only:
        return f"{store.path} is read-only ({store.read_only_reason or 'opened read-only'})"
    if not store.has_notes:
        return f"{store.path} is from an older release (schema {store.schema_version})"
    try:
        mode = os.stat(store.path).st_mode & 0o777
    except OSError as error:
        return f"cannot check who may read {store.path}: {error.strerror}"
    if mode & 0o077:
        return (
            f"{store.path} can be read by other users (mode {mode:04o}); "
            f"make it private first (chmod 600)"
        )
    return None


def save_profile(store: Store, profile: Profile) -> str:
    """Keep the profile in the user database for the next visit; returns when. Refused
    (ProfileNotSaved) when the database file is readable by others or read-only."""
    problem = private_problem(store)
    if problem:
        raise ProfileNotSaved(f"the profile is not saved: {problem}")
    saved_at = timestamp()
    with store.lock, store.transaction():
        store.write(
            "INSERT OR REPLACE INTO lens_profile (slot, data, saved_at) VALUES (?, ?, ?)",
            [SLOT, profile.model_dump_json(exclude_defaults=True), saved_at],
        )
    return saved_at


def saved_profile(store: Store) -> tuple[Profile, str] | None:
    """The saved profile and when it was saved, if the user saved one (and it still reads)."""
    if not store.has_notes:
        return None
    with store.lock:
        row = store.first("SELECT data, saved_at FROM lens_profile WHERE slot = ?", [SLOT])
    if row is None:
        return None
    try:
        return Profile.model_validate_json(row[0]), row[1]
    except ValidationError:
        return None


def forget_profile(store: Store) -> bool:
    """Delete the saved profile; returns whether there was one."""
    if not store.has_notes or store.read_only:
        return False
    with store.lock, store.transaction():
        return store.write("DELETE FROM lens_profile WHERE slot = ?", [SLOT]) > 0


# -- similar cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    """A feature of the profile a case can share, with its weight."""

    kind: str  # failed, responded, subtype, antibody, organ
    value: str
    weight: int

    @property
    def therapy(self) -> bool:
        return self.kind in ("failed", "responded")

    def sql(self) -> tuple[str, list]:
        """The ids of the cases that share it, read from a covering index (a case that failed
        a therapy twice comes twice: callers that count cases remove the repeat)."""
        if self.kind in ("failed", "responded"):
            responses = FAILED if self.kind == "failed" else ("responded",)
            marks = ",".join("?" * len(responses))
            return (
                "SELECT record_id FROM record_therapies WHERE therapy_id = ? "
                f"AND kind = 'case' AND response IN ({marks})",
                [self.value, *responses],
            )
        return (
            "SELECT record_id FROM facets WHERE facet = ? AND value = ? AND kind = 'case'",
            [self.kind, self.value],
        )

    def probe(self, id_expr: str) -> tuple[str, list]:
        """SQL true when the case `id_expr` shares it: one lookup by the case's key."""
        if self.kind in ("failed", "responded"):
            responses = FAILED if self.kind == "failed" else ("responded",)
            marks = ",".join("?" * len(responses))
            return (
                f"EXISTS (SELECT 1 FROM record_therapies p WHERE p.kind = 'case' "
                f"AND p.record_id = {id_expr} AND p.therapy_id = ? AND p.response IN ({marks}))",
                [self.value, *responses],
            )
        return (
            f"EXISTS (SELECT 1 FROM facets p WHERE p.kind = 'case' AND p.record_id = {id_expr} "
            "AND p.facet = ? AND p.value = ?)",
            [self.kind, self.value],
        )

    def holds(self, facts: CaseFacts) -> bool:
        if self.kind == "subtype":
            return facts.subtype == self.value
        if self.kind == "antibody":
            return self.value in facts.antibodies
        if self.kind == "organ":
            return self.value in facts.organs
        responses = facts.responses.get(self.value, set())
        if self.kind == "failed":
            return bool(responses & set(FAILED))
        return "responded" in responses


def profile_features(profile: Profile) -> list[Feature]:
    features = [Feature("failed", t, WEIGHTS["failed"]) for t in profile.failed_therapies()]
    features += [
        Feature("responded", t, WEIGHTS["responded"]) for t in profile.responded_therapies()
    ]
    if profile.subtype is not None and profile.subtype != Subtype.NOT_STATED:
        features.append(Feature("subtype", profile.subtype.value, WEIGHTS["subtype"]))
    features += [
        Feature("antibody", a.value, WEIGHTS["antibody"])
        for a in profile.autoantibodies
        if a.value not in VAGUE_ANTIBODIES
    ]
    features += [Feature("organ", o.value, WEIGHTS["organ"]) for o in profile.organs]
    return features


@dataclass
class CaseFacts:
    """What the similarity reads of a case, from the facets and case-therapy tables."""

    subtype: str | None = None
    antibodies: set[str] = field(default_factory=set)
    organs: set[str] = field(default_factory=set)
    responses: dict[str, set[str]] = field(default_factory=dict)  # therapy -> responses


def case_facts(store: Store, ids: list[str]) -> dict[str, CaseFacts]:
    facts = {case_id: CaseFacts() for case_id in ids}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for record_id, facet, value in store.scan(
            f"""SELECT record_id, facet, value FROM facets WHERE kind = 'case'
                AND record_id IN ({marks}) AND facet IN ('subtype', 'antibody', 'organ')""",
            chunk,
        ):
            entry = facts[record_id]
            if facet == "subtype":
                entry.subtype = value
            elif facet == "antibody":
                entry.antibodies.add(value)
            else:
                entry.organs.add(value)
        for record_id, therapy_id, response in store.scan(
            f"""SELECT record_id, therapy_id, response FROM record_therapies
                WHERE kind = 'case' AND record_id IN ({marks})""",
            chunk,
        ):
            facts[record_id].responses.setdefault(therapy_id, set()).add(response)
    return facts


def _therapy_weight(features: list[Feature], facts: CaseFacts) -> int:
    return sum(f.weight for f in features if f.kind in ("failed", "responded") and f.holds(facts))


def rank_key(score: int, therapy_score: int, case_id: str) -> tuple:
    """The ranking order: score, then shared therapy history, then case id (ascending)."""
    return (-score, -therapy_score, case_id)


@dataclass
class SimilarCase:
    case_id: str
    title: str
    score: int
    best: int  # the highest score this profile allows
    matched: list[str]
    differs: list[str]
    illustrative: bool = False
    synthetic: bool = False
    sources: list[str] = field(default_factory=list)


@dataclass
class Similar:
    cases: list[SimilarCase]
    best: int
    features: list[Feature]
    scored: int  # how many cases were scored in full to find them (the rest could not compete)


def similar_cases(
    store: Store, profile: Profile, limit: int = SIMILAR_LIMIT, names: dict[str, str] | None = None
) -> Similar:
    """The cases most like the profile, explained. Exact top `limit` by (score, shared
    therapy history, id), found without scoring every case:

    1. The cases that share every feature, walked in id order from the rarest feature and
       stopped at `limit`: if there are that many, they are the answer.
    2. Otherwise features are taken rarest first; a case sharing none of those taken can
       score at most the weight of the rest. The cases sharing any taken feature are grouped
       by the weight they share (one indexed GROUP BY), scored in full from the heaviest
       group down while a group could still reach the top, and the walk stops once the
       `limit`-th best beats what any case outside could score.
    """
    features = profile_features(profile)
    best = sum(f.weight for f in features)
    if not features:
        return Similar([], 0, features, 0)
    with store.lock:
        sizes = {f: _size(store, f) for f in features}
        ordered = sorted(features, key=lambda f: (sizes[f], -f.weight, f.kind, f.value))
        facts_of: dict[str, CaseFacts] = {}
        everything = _sharing_all(store, ordered, limit)
        if len(everything) >= limit:
            facts_of = case_facts(store, everything)
            chosen = [(best, _therapy_weight(features, facts_of[c]), c) for c in everything[:limit]]
        else:
            chosen = _threshold_walk(store, features, ordered, limit, best, facts_of)
        hits = _explained(store, profile, features, chosen, facts_of, best, names or {})
    return Similar(hits, best, features, len(facts_of))


def _size(store: Store, feature: Feature, cap: int = 20_000) -> int:
    """How many cases share a feature, counted up to `cap` (enough to order them)."""
    sql, args = feature.sql()
    return store.first(f"SELECT count(*) FROM ({sql} LIMIT {cap})", args)[0]


DRIVER_ROWS = 50_000  # at most this many of the rarest feature's cases are walked in pass 1
# Probes most likely to fail first: a given therapy, then an antibody, an organ, a subtype.
PROBE_ORDER = ("failed", "responded", "antibody", "organ", "subtype")


def _sharing_all(store: Store, ordered: list[Feature], limit: int) -> list[str]:
    """The first `limit` cases (by id) sharing every feature, if found among the rarest
    feature's first DRIVER_ROWS cases in id order (then no case of a smaller id shares them
    all). The walk reads an index already in id order (a therapy's cases by therapy, its
    response checked by a probe), so it stops as soon as `limit` are found; each case probes
    the features by key, rarest first, so most stop at the first probe."""
    driver = ordered[0]
    rest = sorted(ordered[1:], key=lambda f: PROBE_ORDER.index(f.kind))
    if driver.therapy:
        driver_sql = (
            "SELECT record_id FROM record_therapies INDEXED BY "
            "idx_record_therapies_therapy_id_kind_record_id "
            "WHERE therapy_id = ? AND kind = 'case'"
        )
        args: list = [driver.value]
        rest.append(driver)  # its response last: most of a therapy's cases pass it
    else:
        driver_sql, args = driver.sql()
    probes = []
    for feature in rest:
        sql, probe_args = feature.probe("d.record_id")
        probes.append(f"AND {sql}")
        args += probe_args
    return [
        row[0]
        for row in store.scan(
            f"SELECT DISTINCT d.record_id FROM ({driver_sql} ORDER BY record_id "
            f"LIMIT {DRIVER_ROWS}) d WHERE 1 {' '.join(probes)} "
            f"ORDER BY d.record_id LIMIT {int(limit)}",
            args,
        )
    ]


SCORE_BUDGET = 5000  # a first group bigger than this takes one more feature before scoring


def _threshold_walk(
    store: Store,
    features: list[Feature],
    ordered: list[Feature],
    limit: int,
    best: int,
    facts_of: dict[str, CaseFacts],
) -> list[tuple[int, int, str]]:
    """The exact top `limit`, scoring only cases that could reach it (see similar_cases).
    A group's best possible rank is (its weight + the weight not taken, the therapy weight
    it could have): when that is below the limit-th best's (score, therapy score), no case
    of the group, nor of a lighter one, can enter."""
    top: list[tuple] = []  # a heap: its smallest entry is the worst of the best kept
    therapy_total = sum(f.weight for f in features if f.therapy)

    def kth() -> tuple[int, int] | None:
        return (top[0][0], top[0][1]) if len(top) >= limit else None

    count = min(2, len(ordered))
    while True:
        taken = ordered[:count]
        rest = best - sum(f.weight for f in taken)
        therapy_taken = sum(f.weight for f in taken if f.therapy)
        therapy_rest = therapy_total - therapy_taken
        groups = _shared_weight_groups(store, taken)
        heaviest = max(groups, default=None)
        if (
            not top
            and heaviest is not None
            and len(groups[heaviest]) > SCORE_BUDGET
            and count < len(ordered)
        ):
            count += 1  # too many cases share all of these: narrow the first group first
            continue
        for weight in sorted(groups, reverse=True):
            bound = (weight + rest, min(weight, therapy_taken) + therapy_rest)
            if kth() is not None and bound < kth():
                break  # no case of this group (or a lighter one) can reach the top
            fresh = [c for c in groups[weight] if c not in facts_of]
            facts_of.update(case_facts(store, fresh))
            for case_id in fresh:
                facts = facts_of[case_id]
                score = sum(f.weight for f in features if f.holds(facts))
                entry = _inverted(score, _therapy_weight(features, facts), case_id)
                if len(top) < limit:
                    heapq.heappush(top, entry)
                elif entry > top[0]:
                    heapq.heapreplace(top, entry)
        # A case sharing none of `taken` scores at most `rest`, with therapy weight at most
        # `therapy_rest`.
        if (kth() is not None and (rest, therapy_rest) < kth()) or count >= len(ordered):
            break
        count += 1
    ranked = sorted((_restored(entry) for entry in top), key=lambda e: rank_key(*e))
    return [entry for entry in ranked if entry[0] > 0]


def _inverted(score: int, therapy_score: int, case_id: str) -> tuple:
    """A heap entry, larger is better: score, therapy score, then the smaller id (its
    characters negated, ended by a mark above them so a prefix of an id sorts first)."""
    return (score, therapy_score, (*(-ord(ch) for ch in case_id), 1))


def _restored(entry: tuple) -> tuple[int, int, str]:
    score, therapy_score, inverted = entry
    return score, therapy_score, "".join(chr(-code) for code in inverted[:-1])


def _shared_weight_groups(store: Store, taken: list[Feature]) -> dict[int, list[str]]:
    """The cases sharing any of the features taken, grouped by the weight they share."""
    parts, args = [], []
    for index, feature in enumerate(taken):
        sql, feature_args = feature.sql()
        parts.append(f"SELECT record_id, {index} AS f, {int(feature.weight)} AS w FROM ({sql})")
        args += feature_args
    groups: dict[int, list[str]] = {}
    # UNION, not UNION ALL: a case that failed a therapy in two steps shares it once.
    for case_id, weight in store.scan(
        f"SELECT record_id, sum(w) FROM ({' UNION '.join(parts)}) GROUP BY record_id",
        args,
    ):
        groups.setdefault(weight, []).append(case_id)
    return groups


def _explained(
    store: Store,
    profile: Profile,
    features: list[Feature],
    chosen: list[tuple[int, int, str]],
    facts_of: dict[str, CaseFacts],
    best: int,
    names: dict[str, str],
) -> list[SimilarCase]:
    ids = [case_id for _, _, case_id in chosen]
    missing = [c for c in ids if c not in facts_of]
    facts_of.update(case_facts(store, missing))
    rows = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        for case_id, title, illustrative, synthetic, sources in store.scan(
            f"""SELECT id, title, illustrative, synthetic, json_extract(data, '$.sources')
                FROM cases WHERE id IN ({marks})""",
            chunk,
        ):
            rows[case_id] = (
                title,
                bool(illustrative),
                bool(synthetic),
                json.loads(sources or "[]"),
            )
    hits = []
    for score, _, case_id in chosen:
        if case_id not in rows:
            continue
        title, illustrative, synthetic, sources = rows[case_id]
        matched, differs = explain(profile, features, facts_of[case_id], names)
        hits.append(
            SimilarCase(
                case_id, title, score, best, matched, differs, illustrative, synthetic, sources
            )
        )
    return hits


def explain(
    profile: Profile, features: list[Feature], facts: CaseFacts, names: dict[str, str]
) -> tuple[list[str], list[str]]:
    """What the case shares with the profile, and how it differs, in words."""
    name = lambda t: names.get(t, t)  # noqa: E731
    matched: list[str] = []
    differs: list[str] = []
    held = [f for f in features if f.holds(facts)]
    for feature in held:
        if feature.kind == "subtype":
            matched.append(f"same subtype ({SUBTYPE_SHORT.get(feature.value, feature.value)})")
        elif feature.kind == "antibody":
            matched.append(f"shares {ANTIBODY_SHORT.get(feature.value, feature.value)}")
        elif feature.kind == "failed":
            matched.append(f"also failed {name(feature.value)}")
        elif feature.kind == "responded":
            matched.append(f"also responded to {name(feature.value)}")
    organs = [f.value for f in held if f.kind == "organ"]
    if organs:
        matched.append("also " + ", ".join(ORGAN_WORDS.get(o, o) for o in organs))
    if profile.subtype is not None and profile.subtype != Subtype.NOT_STATED:
        if facts.subtype == Subtype.NOT_STATED.value or facts.subtype is None:
            differs.append("subtype not stated")
        elif facts.subtype != profile.subtype.value:
            differs.append(SUBTYPE_SHORT.get(facts.subtype, facts.subtype))
    wanted = [f.value for f in features if f.kind == "antibody"]
    if wanted and not any(f.kind == "antibody" and f in held for f in features):
        known = sorted(facts.antibodies - VAGUE_ANTIBODIES)
        differs.append(
            ", ".join(ANTIBODY_SHORT.get(a, a) for a in known)
            if known
            else "antibodies not recorded"
        )
    for feature in features:
        responses = facts.responses.get(feature.value, set())
        if feature.kind == "failed" and "responded" in responses and feature not in held:
            differs.append(f"responded to {name(feature.value)}")
        elif feature.kind == "responded" and feature not in held and responses & set(FAILED):
            differs.append(f"failed {name(feature.value)}")
    lacking = [f.value for f in features if f.kind == "organ" and f not in held]
    if lacking:
        differs.append("no " + ", ".join(ORGAN_WORDS.get(o, o) for o in lacking) + " recorded")
    return matched, differs


# -- trials whose population fits ---------------------------------------------------------------

MET, FAILED_CHECK, UNKNOWN, NOT_STATED, NOT_CHECKED = (
    "met",
    "not met",
    "unknown",
    "not stated",
    "not checked",
)
ELIGIBLE, NOT_ELIGIBLE, CANNOT_TELL, NO_CRITERIA = (
    "eligible",
    "not eligible",
    "cannot tell",
    "no criteria stated",
)
VERDICT_ORDER = (ELIGIBLE, CANNOT_TELL, NOT_ELIGIBLE, NO_CRITERIA)


@dataclass(frozen=True)
class Check:
    criterion: str  # "FVC", "subtype", …
    outcome: str  # met, not met, unknown, not stated, not checked
    reason: str  # "FVC 42% below the 45% minimum"


@dataclass
class TrialFit:
    trial_id: str
    name: str
    evidence_type: str
    year: int | None
    verdict: str
    checks: list[Check]
    source: str | None = None  # the eligibility's source id
    verified: bool | None = None
    note: str | None = None

    @property
    def partly_checked(self) -> bool:
        """The source states criteria the fields cannot hold (its note says "not checked"):
        "eligible" then means only on the criteria checked."""
        return self.verdict == ELIGIBLE and "not checked" in (self.note or "")

    @property
    def reasons(self) -> list[str]:
        """The reasons that decide the verdict (failed, or unknown) — or all checked."""
        decisive = [c for c in self.checks if c.outcome == FAILED_CHECK]
        if not decisive:
            decisive = [c for c in self.checks if c.outcome == UNKNOWN]
        if not decisive:
            decisive = [c for c in self.checks if c.outcome == MET]
        return [c.reason for c in decisive]


def _bound(value: float, unit: str) -> str:
    return f"{value:g}{unit}"


def _range_text(rng, unit: str) -> str:
    low = None if rng.min is None else _bound(rng.min, unit)
    high = None if rng.max is None else _bound(rng.max, unit)
    if low and high:
        if rng.min_inclusive and rng.max_inclusive:
            return f"{low}–{high}"
        above = "≥" if rng.min_inclusive else ">"
        below = "≤" if rng.max_inclusive else "<"
        return f"{above}{low} and {below}{high}"
    if low:
        return f"{'≥' if rng.min_inclusive else '>'}{low}"
    return f"{'≤' if rng.max_inclusive else '<'}{high}"


def check_range(label: str, value: float | None, rng, unit: str = "", noun: str = "") -> Check:
    """One numeric criterion: `FVC 42% below the 45% minimum`, `mRSS 20 within 15–40`."""
    if rng is None:
        return Check(label, NOT_STATED, f"{label}: not stated")
    wanted = _range_text(rng, unit)
    if value is None:
        return Check(label, UNKNOWN, f"{label} {wanted} required; not in the profile")
    shown = f"{label} {_bound(value, unit)}"
    what = noun or ""
    if rng.min is not None and (value < rng.min or (value == rng.min and not rng.min_inclusive)):
        limit = _bound(rng.min, unit)
        if rng.min_inclusive:
            return Check(label, FAILED_CHECK, f"{shown} below the {limit}{what} minimum")
        return Check(label, FAILED_CHECK, f"{shown} not above {limit}{what}")
    if rng.max is not None and (value > rng.max or (value == rng.max and not rng.max_inclusive)):
        limit = _bound(rng.max, unit)
        if rng.max_inclusive:
            return Check(label, FAILED_CHECK, f"{shown} above the {limit}{what} maximum")
        return Check(label, FAILED_CHECK, f"{shown} not below {limit}{what}")
    return Check(label, MET, f"{shown} within {wanted}")


def check_trial(profile: Profile, eligibility) -> list[Check]:
    """Every criterion of a trial's eligibility against the profile, in a fixed order."""
    if eligibility is None:
        return []
    checks = []
    if not eligibility.subtypes:
        checks.append(Check("subtype", NOT_STATED, "subtype: not stated"))
    else:
        admitted = ", ".join(SUBTYPE_SHORT.get(s.value, s.value) for s in eligibility.subtypes)
        if profile.subtype is None or profile.subtype == Subtype.NOT_STATED:
            checks.append(Check("subtype", UNKNOWN, f"{admitted} only; subtype not in the profile"))
        elif profile.subtype in eligibility.subtypes:
            checks.append(Check("subtype", MET, f"{admitted} admitted"))
        else:
            mine = SUBTYPE_SHORT.get(profile.subtype.value, profile.subtype.value)
            checks.append(Check("subtype", FAILED_CHECK, f"{mine} not admitted ({admitted} only)"))
    checks.append(
        check_range("disease duration", profile.disease_years, eligibility.disease_years, " y")
    )
    checks.append(check_range("mRSS", profile.mrss, eligibility.mrss))
    checks.append(check_range("FVC", profile.fvc, eligibility.fvc, "%"))
    checks.append(check_range("DLCO", profile.dlco, eligibility.dlco, "%"))
    for organ in eligibility.organs_required:
        word = ORGAN_WORDS.get(organ.value, organ.value)
        if organ in profile.organs:
            checks.append(Check(word, MET, f"{word} required; in the profile"))
        else:
            checks.append(Check(word, FAILED_CHECK, f"{word} required; not in the profile"))
    for organ in eligibility.organs_excluded:
        word = ORGAN_WORDS.get(organ.value, organ.value)
        if organ in profile.organs:
            checks.append(Check(word, FAILED_CHECK, f"{word} excluded; in the profile"))
        else:
            checks.append(Check(word, MET, f"{word} excluded; not in the profile"))
    if eligibility.age is not None:
        checks.append(
            Check(
                "age",
                NOT_CHECKED,
                f"age {_range_text(eligibility.age, ' y')}: not checked (the profile keeps no age)",
            )
        )
    if eligibility.sex in ("female", "male"):
        checks.append(
            Check(
                "sex",
                NOT_CHECKED,
                f"{eligibility.sex} only: not checked (the profile keeps no sex)",
            )
        )
    return checks


def verdict(checks: list[Check]) -> str:
    outcomes = {c.outcome for c in checks}
    if FAILED_CHECK in outcomes:
        return NOT_ELIGIBLE
    if UNKNOWN in outcomes:
        return CANNOT_TELL
    if MET in outcomes:
        return ELIGIBLE
    return NO_CRITERIA


def trial_fit(store: Store, profile: Profile) -> list[TrialFit]:
    """Every trial with its verdict for the profile: eligible, cannot tell (a value the
    criteria need is not in the profile), not eligible, then trials with no criteria stated;
    within each, the trials about her organ domains first, then RCTs, newest first."""
    from sclerotui.models import Eligibility

    with store.lock:
        rows = store.read(
            """SELECT id, name, evidence_type, year, json_extract(data, '$.eligibility'),
                      json_extract(data, '$.organs')
               FROM trials"""
        )
    fits = []
    mine = {o.value for o in profile.organs}
    for trial_id, name, evidence_type, year, raw, organs in rows:
        eligibility = Eligibility.model_validate_json(raw) if raw else None
        checks = check_trial(profile, eligibility)
        fit = TrialFit(trial_id, name, evidence_type, year, verdict(checks), checks)
        if eligibility is not None:
            fit.source, fit.verified, fit.note = (
                eligibility.source,
                eligibility.verified,
                eligibility.note,
            )
        overlap = len(mine & set(json.loads(organs or "[]")))
        fits.append(
            (
                VERDICT_ORDER.index(fit.verdict),
                -overlap,
                evidence_type != "rct",
                -(year or 0),
                name,
                fit,
            )
        )
    fits.sort(key=lambda entry: entry[:5])
    return [entry[-1] for entry in fits]


# -- what came next ---------------------------------------------------------------------------


@dataclass
class LensPathways:
    start: str | None  # the therapy the tree starts from
    regimen: list[str] = field(default_factory=list)  # her last failed step's therapies
    criteria: Criteria = field(default_factory=Criteria)
    dropped: list[str] = field(default_factory=list)  # filters left out to find any case
    failed: int = 0  # cases that failed the starting therapy under the filters
    nodes: list = field(default_factory=list)  # pathways.PathNode
    tried: set[str] = field(default_factory=set)  # therapies she has had

    @property
    def why_none(self) -> str | None:
        if self.start is None:
            return "no failed therapy in the profile: pathways start from one"
        if not self.nodes:
            return "no case in the database went on to another therapy after failing it"
        return None


def pathway_filters(profile: Profile) -> list[tuple[Criteria, list[str]]]:
    """The filters to try, narrowest first: her subtype, antibodies and organs; then without
    organs; without antibodies; without any (each with what was left out)."""
    subtype = (
        frozenset({profile.subtype.value})
        if profile.subtype is not None and profile.subtype != Subtype.NOT_STATED
        else frozenset()
    )
    antibody = frozenset(a.value for a in profile.autoantibodies if a.value not in VAGUE_ANTIBODIES)
    organ = frozenset(o.value for o in profile.organs)
    tries = [
        (Criteria(subtype=subtype, antibody=antibody, organ=organ), []),
        (Criteria(subtype=subtype, antibody=antibody), ["organ"]),
        (Criteria(subtype=subtype), ["organ", "antibody"]),
        (Criteria(), ["organ", "antibody", "subtype"]),
    ]
    seen, unique = set(), []
    for criteria, dropped in tries:
        if criteria not in seen:
            seen.add(criteria)
            unique.append(
                (criteria, [d for d in dropped if getattr(criteria, d) != getattr(tries[0][0], d)])
            )
    return unique


def lens_pathways(store: Store, profile: Profile) -> LensPathways:
    """The pathways from her last failed therapy over cases like hers: filtered by her
    subtype, antibodies and organs, dropping filters (organs first) only when no case passes
    them, and saying which were dropped. A regimen starts from its first therapy named."""
    from sclerotui.pathways import pathway_tree, starting_cases

    last = profile.last_failed_step()
    tried = {t for s in profile.steps for t in s.therapies}
    if last is None:
        return LensPathways(None, tried=tried)
    start = last.therapies[0]
    result = LensPathways(start, list(last.therapies), tried=tried)
    for criteria, dropped in pathway_filters(profile):
        nodes = pathway_tree(store, start, criteria)
        result.criteria, result.dropped, result.nodes = criteria, dropped, nodes
        if nodes:
            break
    result.failed = starting_cases(store, start, result.criteria)
    return result


def describe_filters(criteria: Criteria) -> str:
    parts = []
    if criteria.subtype:
        parts.append(", ".join(SUBTYPE_SHORT.get(s, s) for s in sorted(criteria.subtype)))
    if criteria.antibody:
        parts.append(" or ".join(ANTIBODY_SHORT.get(a, a) for a in sorted(criteria.antibody)))
    if criteria.organ:
        parts.append(" or ".join(ORGAN_WORDS.get(o, o) for o in sorted(criteria.organ)))
    return "; ".join(parts) or "all cases"


# -- the evidence brief ------------------------------------------------------------------------


def brief_markdown(
    store: Store,
    profile: Profile,
    similar: Similar,
    fits: list[TrialFit],
    pathways: LensPathways | None,
    names: dict[str, str],
) -> str:
    """The lens as a Markdown "evidence brief" for this profile: the profile (the user asked
    for it: this export is the only one that holds it), similar cases with why, the trials
    she would and would not have been eligible for with the reasons, and what came next.
    Every figure says where it comes from and whether it was verified; record text is
    escaped as the dossiers escape it."""
    from datetime import UTC, datetime

    from sclerotui.export import cell

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Evidence brief: patients like this one",
        "",
        f"_Exported from sclerotui on {stamp}. It holds the profile typed into the lens (no "
        "name, date of birth or identifier). Similarity scores, eligibility checks and "
        "pathway shares are computed by sclerotui from the records named; figures marked "
        "**unverified** were not verified in a stored source; illustrative cases are "
        "teaching examples, not patients._",
        "",
        "## Profile",
        "",
        f"- {cell(describe_profile(profile, names))}",
        "",
        f"## Similar cases ({len(similar.cases)}, most similar first)",
        "",
        f"Score: the weights of the features shared with the profile, out of {similar.best} "
        "(failed the same therapy 4, same subtype 3, each shared autoantibody 3, responded to "
        "the same therapy 2, each shared organ domain 1).",
        "",
    ]
    if similar.cases:
        lines += ["| Score | Case | Shares | Differs | Source |", "|---|---|---|---|---|"]
        sources = {s.id: s for s in store.sources(s for c in similar.cases for s in c.sources)}
        for case in similar.cases:
            flag = " (illustrative)" if case.illustrative else ""
            flag += " (synthetic)" if case.synthetic else ""
            cited = "; ".join(_source_mark(sources.get(s), s) for s in dict.fromkeys(case.sources))
            lines.append(
                f"| {case.score}/{case.best} | {cell(case.title)}{flag} (`{cell(case.case_id)}`)"
                f" | {cell('; '.join(case.matched))} | {cell('; '.join(case.differs)) or '—'} "
                f"| {cell(cited)} |"
            )
    else:
        lines.append("No case shares a feature with this profile.")
    lines += ["", "## Trials whose population fits", ""]
    fit_sources = {s.id: s for s in store.sources(f.source for f in fits if f.source)}
    for title, wanted in (
        ("Would have been eligible (on the criteria stated)", ELIGIBLE),
        ("Cannot tell: the criteria need values the profile does not give", CANNOT_TELL),
        ("Would not have been eligible", NOT_ELIGIBLE),
    ):
        chosen = [f for f in fits if f.verdict == wanted]
        lines += [f"### {title} ({len(chosen)})", ""]
        if not chosen:
            lines += ["None.", ""]
            continue
        lines += ["| Trial | Reasons | Criteria source |", "|---|---|---|"]
        for fit in chosen:
            mark = _source_mark(fit_sources.get(fit.source or ""), fit.source or "?")
            if fit.verified is False:
                mark += " **unverified**"
            lines.append(
                f"| {cell(fit.name)} | {cell('; '.join(fit.reasons))} | {mark}"
                f"{' — ' + cell(fit.note) if fit.note else ''} |"
            )
        lines.append("")
    unstated = [f for f in fits if f.verdict == NO_CRITERIA]
    if unstated:
        lines += [
            f"Entry criteria not stated in the stored sources ({len(unstated)} trials, never "
            "guessed): " + "; ".join(cell(f.name) for f in unstated),
            "",
        ]
    lines += ["## What came next", ""]
    if pathways is None:
        lines += ["Not computed.", ""]
    elif pathways.why_none:
        lines += [cell(pathways.why_none).capitalize() + ".", ""]
    else:
        start = names.get(pathways.start or "", pathways.start or "")
        regimen = ""
        if len(pathways.regimen) > 1:
            regimen = (
                f" (her last failed step: {' + '.join(names.get(t, t) for t in pathways.regimen)})"
            )
        dropped = (
            f"; left out to find any case: {', '.join(pathways.dropped)}"
            if pathways.dropped
            else ""
        )
        lines += [
            f"After failing {cell(start)}{cell(regimen)}: {pathways.failed} case(s) in this "
            f"database failed it (filters: {cell(describe_filters(pathways.criteria))}"
            f"{dropped}). Counts and shares are counted by sclerotui over those case records.",
            "",
            "| Path | Cases | Responded | Response mix | Note |",
            "|---|---|---|---|---|",
        ]
        for node in pathways.nodes:
            path = " → ".join(
                " + ".join(names.get(t, t) for t in step.split("+")) for step in node.path
            )
            mix = ", ".join(f"{r} {n}" for r, n in sorted(node.responses.items()))
            tried = any(t in pathways.tried for t in node.therapies)
            note = "; ".join(
                filter(
                    None,
                    [
                        "illustrative cases only" if node.only_illustrative else "",
                        "she has had this" if tried else "",
                    ],
                )
            )
            lines.append(
                f"| {cell(path)} | {node.cases} | {node.responded_share:.0%} | {cell(mix)} "
                f"| {note or '—'} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def _source_mark(source, source_id: str) -> str:
    """A source as the brief cites it (record text escaped, long citations cut), with its
    verification mark."""
    from sclerotui.export import cell
    from sclerotui.text import shorten

    if source is None:
        return f"{cell(source_id)} (source not found)"
    ref = f"{source.kind.value.upper()} {source.ref}" if source.ref else source.citation
    return f"{cell(shorten(ref, 100))} [{'verified' if source.verified else '**unverified**'}]"
