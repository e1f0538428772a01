"""Every filter, declared once: its name, label, vocabulary, aliases, the record kinds that
carry it, where its values come from and how it becomes SQL.

The search language, the filter dialog, the help screen, the session file, the rows an
import writes, synthetic data, pathways and the forest plot all read this table (as
Datasette's filters.py declares its filters once). Plain data and SQL text, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sclerotui.vocabulary import Autoantibody, EvidenceType, Organ, Response, Subtype, TherapyClass

KINDS = ("therapy", "trial", "case")

# What a record's values of a facet are: (the record, each therapy's class by id) → values.
ValuesOf = Callable[[Any, Mapping[str, str]], Iterable[str]]


@dataclass(frozen=True)
class Facet:
    """One filter. `values` is None for a facet whose values are free words, not chosen from
    a vocabulary (a therapy's name or alias, resolved to its id by the search; a note's
    words)."""

    name: str  # as typed ("organ:lung") and as stored in the facets table
    label: str  # its group's title in the filter dialog
    values: tuple[str, ...] | None
    kinds: tuple[str, ...]  # the record kinds that carry it; a filter on it excludes the rest
    # How it becomes SQL: "facet", rows of the facets table; "therapy", the record's therapy
    # links; "step", the response of a case's step (to the filtered therapy, if one is);
    # "note", words in the user's notes on the record (note_clause); "kind", the record's
    # kind (callers choose the kinds they read).
    sql: str = "facet"
    aliases: Mapping[str, str] = field(default_factory=dict)  # other words for a value
    names: tuple[str, ...] = ()  # other words for the field itself ("organs")
    vocabulary: str | None = None  # its labels' key in db/vocabularies.json
    dialog: int | None = None  # its place in the `f` dialog; None: typed only
    population: bool = False  # says who was studied, not what was given or how it went
    values_of: Mapping[str, ValuesOf] = field(default_factory=dict)  # by kind, for facet rows
    # A word typed alone may name it ("failed lung": response:resistant organ:lung); the
    # suggestion under the search box reads these (sclerotui/suggest.py).
    plain: bool = False

    @property
    def words(self) -> dict[str, str]:
        """{accepted word: stored value}: the values themselves, then the aliases."""
        return {value: value for value in self.values or ()} | dict(self.aliases)


def _values(enum) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _step_therapies(case) -> list[str]:
    return [therapy for step in case.therapies for therapy in step.therapies]


FACET_LIST = [
    Facet(
        "therapy",
        "Therapy",
        None,
        KINDS,
        sql="therapy",
        plain=True,
    ),
    Facet(
        "subtype",
        "Subtype",
        _values(Subtype),
        ("trial", "case"),
        aliases={
            "dcssc": "diffuse",
            "lcssc": "limited",
            "sssc": "sine",
            "sine-scleroderma": "sine",
            "dc": "diffuse",
            "lc": "limited",
        },
        names=("subtypes",),
        vocabulary="subtypes",
        dialog=1,
        population=True,
        values_of={
            "trial": lambda trial, _: trial.subtypes,
            "case": lambda case, _: [case.subtype],
        },
        plain=True,
    ),
    Facet(
        "organ",
        "Organ domain",
        _values(Organ),
        KINDS,
        aliases={
            "ild": "lung",
            "pulmonary": "lung",
            "ph": "pah",
            "kidney": "renal",
            "src": "renal",
            "raynaud": "vascular",
            "raynauds": "vascular",
            "du": "vascular",
            "ulcer": "vascular",
            "digital-ulcer": "vascular",
            "heart": "cardiac",
            "gut": "gi",
            "gastrointestinal": "gi",
            "joint": "musculoskeletal",
            "msk": "musculoskeletal",
            "calcinosis-cutis": "calcinosis",
        },
        names=("organs",),
        vocabulary="organs",
        dialog=2,
        population=True,
        values_of={
            "therapy": lambda therapy, _: therapy.organs,
            "trial": lambda trial, _: trial.organs,
            "case": lambda case, _: case.organs,
        },
        plain=True,
    ),
    Facet(
        "antibody",
        "Autoantibody (cases)",
        _values(Autoantibody),
        ("case",),
        aliases={
            "scl-70": "anti-scl-70",
            "scl70": "anti-scl-70",
            "ata": "anti-scl-70",
            "topo": "anti-scl-70",
            "aca": "anticentromere",
            "centromere": "anticentromere",
            "rnap": "anti-rnap-iii",
            "rnap3": "anti-rnap-iii",
            "rna-pol-iii": "anti-rnap-iii",
            "u1rnp": "anti-u1rnp",
            "pm-scl": "anti-pm-scl",
            "pmscl": "anti-pm-scl",
        },
        names=("ab", "autoantibody"),
        vocabulary="autoantibodies",
        dialog=6,
        population=True,
        values_of={"case": lambda case, _: case.autoantibodies},
        plain=True,
    ),
    Facet(
        "response",
        "Response (cases)",
        _values(Response),
        ("case",),
        sql="step",
        aliases={
            "failed": "resistant",
            "refractory": "resistant",
            "responder": "responded",
            "improved": "responded",
        },
        names=("responses",),
        vocabulary="responses",
        dialog=4,
        values_of={"case": lambda case, _: [step.response for step in case.therapies]},
        plain=True,
    ),
    Facet(
        "type",
        "Evidence type",
        _values(EvidenceType),
        ("trial", "case"),
        aliases={
            "case": "case-report",
            "cases": "case-report",
            "trial": "rct",
            "randomised": "rct",
            "randomized": "rct",
            "cohort": "observational",
            "obs": "observational",
        },
        names=("evidence",),
        vocabulary="evidence_types",
        dialog=5,
        population=True,
        values_of={
            "trial": lambda trial, _: [trial.evidence_type],
            "case": lambda case, _: [case.evidence_type],
        },
    ),
    Facet(
        "kind",
        "Record kind",
        KINDS,
        KINDS,
        sql="kind",
        aliases={"therapies": "therapy", "trials": "trial", "cases": "case"},
    ),
    Facet(
        "class",
        "Therapy class",
        _values(TherapyClass),
        KINDS,
        aliases={
            "era": "endothelin-receptor-antagonist",
            "pde5": "pde5-inhibitor",
            "acei": "ace-inhibitor",
            "ace": "ace-inhibitor",
            "cell": "cell-therapy",
            "hsct": "cell-therapy",
            "antifibrotic": "antifibrotic",
            "jak": "jak-inhibitor",
            "arb": "angiotensin-receptor-blocker",
            "procedure": "procedure-or-supportive",
            "supportive": "procedure-or-supportive",
        },
        vocabulary="therapy_classes",
        dialog=3,
        values_of={
            "therapy": lambda therapy, _: [therapy.therapy_class],
            "trial": lambda trial, classes: [classes[t] for t in trial.therapies],
            "case": lambda case, classes: [classes[t] for t in _step_therapies(case)],
        },
    ),
    Facet("note", "Your notes", None, KINDS, sql="note"),
]
ANY_NOTE = "*"  # note:* — any record with a note or a bookmark
# In this order filters are described ("subtype:diffuse organ:lung") and applied.
FACETS: dict[str, Facet] = {facet.name: facet for facet in FACET_LIST}
# Every word that names a field: the facets' names and their other names.
FIELD_NAMES: dict[str, str] = {
    **{name: name for name in FACETS},
    **{other: facet.name for facet in FACET_LIST for other in facet.names},
}


def dialog_facets() -> list[Facet]:
    """The facets the filter dialog shows, in its order."""
    return sorted((f for f in FACET_LIST if f.dialog is not None), key=lambda f: f.dialog)


def chosen_facets() -> tuple[str, ...]:
    """The facets whose values come from a vocabulary (those a session keeps)."""
    return tuple(f.name for f in FACET_LIST if f.values is not None)


def fallback_vocabularies() -> dict[str, list[dict]]:
    """Labels straight from the values, if the vocabulary file is missing."""
    return {
        f.vocabulary: [{"id": value, "label": value} for value in f.values or ()]
        for f in FACET_LIST
        if f.vocabulary
    }


def facet_rows(kind: str, record_id: str, record, classes: Mapping[str, str]) -> Iterator[tuple]:
    """The facets table's rows of one record: (kind, record_id, facet, value), each value
    once. `classes` gives each therapy's class by id."""
    for facet in FACET_LIST:
        values_of = facet.values_of.get(kind)
        if values_of is not None:
            for value in dict.fromkeys(values_of(record, classes)):
                yield kind, record_id, facet.name, str(value)


class Criteria:
    """Active filters: facet name → the values accepted (from `field:value` words or from
    the filter dialog). Within a facet the values are alternatives; across facets all must
    hold. Read as attributes (`criteria.organ`; `criteria.class_`, class being a keyword)."""

    __slots__ = ("_values",)

    def __init__(self, **values: Iterable[str]) -> None:
        chosen = {}
        for key, given in values.items():
            name = key.rstrip("_")
            if name not in FACETS:
                raise TypeError(f"no filter named {name!r}")
            if given:
                chosen[name] = frozenset(given)
        self._values = tuple((name, chosen[name]) for name in FACETS if name in chosen)

    def __getattr__(self, attr: str) -> frozenset[str]:
        name = attr.rstrip("_")
        if name not in FACETS:
            raise AttributeError(attr)
        return self.get(name)

    def get(self, name: str) -> frozenset[str]:
        for facet, values in self._values:
            if facet == name:
                return values
        return frozenset()

    def items(self) -> list[tuple[str, frozenset[str]]]:
        return list(self._values)

    def merged(self, other: Criteria) -> Criteria:
        """Both filters: a facet's values from either are alternatives."""
        return Criteria(**{name: self.get(name) | other.get(name) for name in FACETS})

    def with_values(self, name: str, values: Iterable[str]) -> Criteria:
        return Criteria(**(dict(self._values) | {name.rstrip("_"): frozenset(values)}))

    def only(self, names: Iterable[str]) -> Criteria:
        """These facets' filters alone."""
        return Criteria(**{name: self.get(name) for name in names})

    def population(self, kind: str) -> Criteria:
        """The filters that say who was studied and that records of `kind` carry (the
        pathways keep a case's, the forest plot a trial's)."""
        return self.only(f.name for f in FACET_LIST if f.population and kind in f.kinds)

    def __bool__(self) -> bool:
        return bool(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Criteria) and self._values == other._values

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"Criteria({self.describe()!r})"

    def describe(self) -> str:
        return " ".join(f"{name}:{','.join(sorted(values))}" for name, values in self._values)


NO_CRITERIA = Criteria()


def filter_source(kind: str, criteria: Criteria, table: str) -> tuple[str, list, str | None]:
    """A query for the ids of one kind's records (its table `table`) that may pass the
    filters, as few as the indexes allow: those with the first facet filtered on, or the
    therapy, or all of them; and the facet, when the source is one (every id it gives
    passes that filter)."""
    for name, values in criteria.items():
        if FACETS[name].sql == "note":  # the user's notes are few: the narrowest source
            clause, args = note_clause(kind, "n0.record_id", values, table="")
            return (
                f"SELECT n0.record_id FROM user_notes n0 WHERE n0.record_kind = ? {clause}",
                [kind, *args],
                name,
            )
    therapy = next((n for n, _ in criteria.items() if FACETS[n].sql == "therapy"), None)
    for name, values in criteria.items():
        sql = FACETS[name].sql
        if sql in ("kind", "therapy", "note") or (sql == "step" and therapy is not None):
            continue
        marks = ",".join("?" * len(values))
        return (
            f"SELECT record_id FROM facets WHERE facet = ? AND kind = ? AND value IN ({marks})",
            [name, kind, *sorted(values)],
            name,
        )
    if therapy is not None:
        therapies = sorted(criteria.get(therapy))
        marks = ",".join("?" * len(therapies))
        if kind == "therapy":
            return f"SELECT id AS record_id FROM therapies WHERE id IN ({marks})", therapies, None
        return (
            f"SELECT record_id FROM record_therapies WHERE kind = ? AND therapy_id IN ({marks})",
            [kind, *therapies],
            None,
        )
    return f"SELECT id AS record_id FROM {table}", [], None


def criteria_sql(kind: str, id_expr: str, criteria: Criteria, skip: str | None) -> tuple[str, list]:
    """SQL (`AND …`) restricting records of one kind, identified by id_expr, to the criteria.

    A facet a kind does not carry (a therapy has no subtype) excludes that kind.
    The therapy and response filters, when both given, must hold for the same case step:
    "resistant to cyclophosphamide", not "resistant to something, and had cyclophosphamide".
    `skip` names a filter the caller applies itself (the therapy list joins on therapy, and
    then a response filter means the response to that therapy, column rt.response).
    """
    clauses: list[str] = []
    args: list = []
    steps = [name for name, _ in criteria.items() if FACETS[name].sql == "step"]
    by_therapy = skip is not None and FACETS[skip].sql == "therapy"  # the caller joins on it
    joined = not by_therapy and any(FACETS[name].sql == "therapy" for name, _ in criteria.items())
    for name, values in criteria.items():
        facet = FACETS[name]
        marks = ",".join("?" * len(values))
        if facet.sql == "kind" or name == skip:
            continue
        if facet.sql == "step" and joined and kind == "case":
            continue  # held by the therapy's step, below
        if kind not in facet.kinds:
            clauses.append("AND 0")
        elif facet.sql == "step" and by_therapy:
            clauses.append(f"AND rt.response IN ({marks})")
            args.extend(sorted(values))
        elif facet.sql == "note":
            clause, note_args = note_clause(kind, id_expr, values)
            clauses.append(clause)
            args.extend(note_args)
        elif facet.sql == "therapy" and kind == "therapy":
            clauses.append(f"AND {id_expr} IN ({marks})")
            args.extend(sorted(values))
        elif facet.sql == "therapy":
            step, step_args = "", []
            if kind == "case":
                for held in steps:
                    held_values = criteria.get(held)
                    step += f" AND q.response IN ({','.join('?' * len(held_values))})"
                    step_args += sorted(held_values)
            clauses.append(
                f"AND EXISTS (SELECT 1 FROM record_therapies q WHERE q.kind = "
                f"'{kind}' AND q.record_id = {id_expr} AND q.therapy_id IN ({marks})"
                f"{step})"
            )
            args.extend([*sorted(values), *step_args])
        else:
            clauses.append(
                f"AND EXISTS (SELECT 1 FROM facets f WHERE f.kind = '{kind}' AND "
                f"f.record_id = {id_expr} AND f.facet = '{name}' "
                f"AND f.value IN ({marks}))"
            )
            args.extend(sorted(values))
    return " ".join(clauses), args


def note_clause(kind: str, id_expr: str, values, table: str = "n") -> tuple[str, list]:
    """`AND …` for `note:` words: the record has a note holding any of them (case-blind, as
    typed: part of a word matches), or any note or bookmark for `note:*`. With table="" the
    caller reads user_notes itself (as n0), so only the text test is added."""
    words = sorted(v for v in values if v != ANY_NOTE)
    alias = table or "n0"
    text = " OR ".join(f"instr(lower({alias}.text), ?) > 0" for _ in words)
    test = "" if ANY_NOTE in values or not words else f" AND ({text})"
    if not table:
        return test, words
    return (
        f"AND EXISTS (SELECT 1 FROM user_notes {table} WHERE {table}.record_kind = '{kind}' "
        f"AND {table}.record_id = {id_expr}{test})",
        words,
    )
