"""The explorer's lists under the active filters: the therapies with their numbers of trials
and cases, and one window of a therapy's evidence. Read through the store's door."""

from __future__ import annotations

from typing import NamedTuple

from sclerotui.facets import NO_CRITERIA, Criteria, criteria_sql
from sclerotui.store import Store
from sclerotui.vocabulary import SUBTYPE_SHORT, TYPE_SHORT

# Named tuples, not frozen dataclasses: cheaper to define before the explorer's first frame.


class TherapyName(NamedTuple):
    """What a list needs of a therapy, read from columns (no JSON, no model)."""

    id: str
    name: str
    therapy_class: str


class TherapyRow(NamedTuple):
    therapy: TherapyName
    trials: int
    cases: int


class EvidenceItem(NamedTuple):
    """One line of a therapy's evidence list."""

    kind: str  # "trial" or "case"
    id: str
    title: str
    label: str  # e.g. "RCT n=576" or "case · dcSSc · resistant"
    verified: bool
    illustrative: bool


def therapies(store: Store, criteria: Criteria = NO_CRITERIA) -> list[TherapyRow]:
    """Therapies with the number of trials and cases that pass the filters.

    With filters on, therapies with no matching evidence drop out (the list narrows).
    """
    if not criteria.with_values("class", frozenset()).with_values("kind", frozenset()):
        return _therapies_unfiltered(store, criteria)
    trial_where, trial_args = criteria_sql("trial", "rt.record_id", criteria, "therapy")
    case_where, case_args = criteria_sql("case", "rt.record_id", criteria, "therapy")
    class_filter = ""
    args: list = []
    if criteria.class_:
        class_filter = f"AND t.class IN ({','.join('?' * len(criteria.class_))})"
        args = sorted(criteria.class_)
    sql = f"""
        SELECT t.id, t.name, t.class,
          (SELECT count(DISTINCT rt.record_id) FROM record_therapies rt
             WHERE rt.therapy_id = t.id AND rt.kind = 'trial' {trial_where}),
          (SELECT count(DISTINCT rt.record_id) FROM record_therapies rt
             WHERE rt.therapy_id = t.id AND rt.kind = 'case' {case_where})
        FROM therapies t WHERE 1 {class_filter}
        ORDER BY t.class, t.name COLLATE NOCASE"""
    rows = [
        TherapyRow(TherapyName(*therapy), trials, cases)
        for *therapy, trials, cases in store.read(sql, [*trial_args, *case_args, *args])
    ]
    narrowing = criteria.with_values("class", frozenset()).with_values("kind", frozenset())
    if narrowing:
        rows = [row for row in rows if row.trials or row.cases]
    return rows


def _therapies_unfiltered(store: Store, criteria: Criteria) -> list[TherapyRow]:
    """From the summary table: start-up cost does not grow with the number of cases."""
    class_filter, args = "", []
    if criteria.class_:
        class_filter = f"WHERE t.class IN ({','.join('?' * len(criteria.class_))})"
        args = sorted(criteria.class_)
    sql = f"""SELECT t.id, t.name, t.class, coalesce(s.trials, 0), coalesce(s.cases, 0)
              FROM therapies t LEFT JOIN therapy_stats s ON s.therapy_id = t.id
              {class_filter} ORDER BY t.class, t.name COLLATE NOCASE"""
    return [
        TherapyRow(TherapyName(*therapy), trials, cases)
        for *therapy, trials, cases in store.read(sql, args)
    ]


def evidence(
    store: Store,
    therapy_id: str,
    criteria: Criteria = NO_CRITERIA,
    limit: int = 200,
    offset: int = 0,
    total: int | None = None,
) -> list[EvidenceItem]:
    """One window of a therapy's evidence that passes the filters: trials (newest first),
    then cases in id order. Windows keep lists bounded however many cases there are.

    `total` (from evidence_count) lets a window in the second half of a long list be read
    from its end, which skips fewer index entries."""
    criteria = criteria.with_values("therapy", frozenset()).with_values("class", frozenset())
    trials = _evidence_trials(store, therapy_id, criteria)
    items = [_evidence_item(row) for row in trials[offset : offset + limit]]
    case_offset = max(0, offset - len(trials))
    case_limit = limit - len(items)
    if case_limit <= 0:
        return items
    case_total = None if total is None else total - len(trials)
    ids = _evidence_case_ids(store, therapy_id, criteria, case_limit, case_offset, case_total)
    cases = store.read(
        f"""SELECT 'case', c.id, c.title, c.evidence_type, NULL, c.subtype, rt.response, 1,
                   c.illustrative, min(rt.step)
            FROM cases c JOIN record_therapies rt
              ON rt.kind = 'case' AND rt.therapy_id = ? AND rt.record_id = c.id
            WHERE c.id IN ({",".join("?" * len(ids))})
            GROUP BY c.id ORDER BY c.id""",
        [therapy_id, *ids],
    )
    return items + [_evidence_item(row) for row in cases]


def _evidence_case_ids(
    store: Store, therapy_id: str, criteria: Criteria, limit: int, offset: int, total: int | None
) -> list[str]:
    """The ids of one window of a therapy's cases, in id order.

    They come from the index on (therapy_id, kind, record_id) alone, without sorting;
    only those few cases are then read. OFFSET still steps over every entry before the
    window, so a window nearer the end is read backwards from the end."""
    where, args = criteria_sql("case", "rt.record_id", criteria, None)
    order = ""
    if total is not None and offset > total // 2:
        order = "DESC"
        limit = max(0, min(limit, total - offset))
        offset = max(0, total - offset - limit)
    ids = [
        row[0]
        for row in store.read(
            f"""SELECT rt.record_id FROM record_therapies rt
                WHERE rt.kind = 'case' AND rt.therapy_id = ? {where}
                GROUP BY rt.record_id ORDER BY rt.record_id {order} LIMIT ? OFFSET ?""",
            [therapy_id, *args, limit, offset],
        )
    ]
    return ids[::-1] if order else ids


def _evidence_trials(store: Store, therapy_id: str, criteria: Criteria) -> list[tuple]:
    """A therapy's trials that pass the filters, newest first (a handful per therapy)."""
    trial_where, trial_args = criteria_sql("trial", "tr.id", criteria, None)
    return store.read(
        f"""SELECT 'trial', tr.id, tr.name, tr.evidence_type, tr.n, NULL, NULL, tr.verified, 0
            FROM trials tr JOIN record_therapies rt
              ON rt.kind = 'trial' AND rt.record_id = tr.id AND rt.therapy_id = ?
            WHERE 1 {trial_where}
            ORDER BY -coalesce(tr.year, 0), tr.name COLLATE NOCASE""",
        [therapy_id, *trial_args],
    )


def evidence_count(store: Store, therapy_id: str, criteria: Criteria = NO_CRITERIA) -> int:
    """How many trials and cases of a therapy pass the filters."""
    return sum(evidence_counts(store, therapy_id, criteria))


def evidence_counts(
    store: Store, therapy_id: str, criteria: Criteria = NO_CRITERIA
) -> tuple[int, int]:
    """(trials, cases) of a therapy that pass the filters."""
    criteria = criteria.with_values("therapy", frozenset()).with_values("class", frozenset())
    if not criteria:
        row = store.first(
            "SELECT trials, cases FROM therapy_stats WHERE therapy_id = ?", [therapy_id]
        )
        return (row[0], row[1]) if row else (0, 0)
    counts = []
    for kind in ("trial", "case"):
        where, args = criteria_sql(kind, "rt.record_id", criteria, None)
        counts.append(
            store.first(
                f"""SELECT count(DISTINCT rt.record_id) FROM record_therapies rt
                    WHERE rt.kind = '{kind}' AND rt.therapy_id = ? {where}""",
                [therapy_id, *args],
            )[0]
        )
    return counts[0], counts[1]


def evidence_has(
    store: Store, therapy_id: str, criteria: Criteria, kind: str, record_id: str
) -> bool:
    """Whether one record is in a therapy's evidence under the filters (cheap)."""
    criteria = criteria.with_values("therapy", frozenset()).with_values("class", frozenset())
    where, args = criteria_sql(kind, "rt.record_id", criteria, None)
    return (
        store.first(
            f"""SELECT 1 FROM record_therapies rt WHERE rt.kind = ? AND rt.therapy_id = ?
            AND rt.record_id = ? {where} LIMIT 1""",
            [kind, therapy_id, record_id, *args],
        )
        is not None
    )


def evidence_position(
    store: Store, therapy_id: str, criteria: Criteria, kind: str, record_id: str
) -> int | None:
    """Where a record stands in a therapy's evidence (to open the window holding it)."""
    if not evidence_has(store, therapy_id, criteria, kind, record_id):
        return None
    criteria = criteria.with_values("therapy", frozenset()).with_values("class", frozenset())
    trial_ids = [row[1] for row in _evidence_trials(store, therapy_id, criteria)]
    if kind == "trial":
        return trial_ids.index(record_id) if record_id in trial_ids else None
    where, args = criteria_sql("case", "rt.record_id", criteria, None)
    before = store.first(
        f"""SELECT count(DISTINCT rt.record_id) FROM record_therapies rt
            WHERE rt.kind = 'case' AND rt.therapy_id = ? AND rt.record_id < ? {where}""",
        [therapy_id, record_id, *args],
    )[0]
    return len(trial_ids) + before


def _evidence_item(row) -> EvidenceItem:
    kind, rid, title, evidence_type, n, subtype, response, verified, illustrative = row[:9]
    if kind == "trial":
        label = TYPE_SHORT.get(evidence_type, evidence_type)
        if n is not None:
            label += f" n={n:,}"
    else:
        parts = ["case", SUBTYPE_SHORT.get(subtype, subtype or "?"), response or "unknown"]
        if illustrative:
            parts.append("illustrative")
        label = " · ".join(parts)
    return EvidenceItem(kind, rid, title, label, bool(verified), bool(illustrative))
