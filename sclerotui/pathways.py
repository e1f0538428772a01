"""Resistance pathways: what followed a therapy when it failed, aggregated over all cases.

A pathway starts at a case's first failure (resistant, partial or intolerant) of the starting
therapy and follows the next steps in order while each of them failed too. A step is a regimen
of one or more therapies given together (they share the step's number in `record_therapies`),
named by its therapy ids joined with "+" in a path. Every node is one path of steps; its
numbers count the cases that reached it and how they responded to its last step. The nodes
each case reaches are written with the case (`pathway_steps`, see pathway_index.py), so a tree
is one range scan; a database without that table (an older one opened read-only) is walked by
one recursive query over the indexed `record_therapies` table, which the tests compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sclerotui import pathway_index
from sclerotui.facets import NO_CRITERIA, Criteria, criteria_sql
from sclerotui.store import Store
from sclerotui.vocabulary import FAILED_RESPONSES

FAILED = tuple(r.value for r in FAILED_RESPONSES)
RESPONSES = ("responded", "partial", "resistant", "intolerant", "unknown")
MAX_DEPTH = pathway_index.MAX_DEPTH


REGIMEN = pathway_index.REGIMEN  # joins the therapy ids of one step given together


def regimen_key(therapies) -> str:
    """One step's therapies as a path element: the same set, in any order, is one regimen."""
    return REGIMEN.join(sorted(set(therapies)))


def regimen_therapies(key: str) -> tuple[str, ...]:
    return tuple(key.split(REGIMEN))


def regimen_label(key: str, names: dict[str, str]) -> str:
    """ "Methotrexate + Glucocorticoids": a regimen by its therapies' names."""
    return " + ".join(names.get(t, t) for t in regimen_therapies(key))


@dataclass
class PathNode:
    path: tuple[str, ...]  # regimen keys after the starting therapy, in order
    cases: int = 0
    responses: dict[str, int] = field(default_factory=dict)
    subtypes: dict[str, int] = field(default_factory=dict)
    organs: dict[str, int] = field(default_factory=dict)
    illustrative: int = 0  # how many of its cases are illustrative, not real patients

    @property
    def therapy(self) -> str:
        """The last step's regimen key (a therapy id when given alone)."""
        return self.path[-1]

    @property
    def therapies(self) -> tuple[str, ...]:
        """The therapy ids of the last step."""
        return regimen_therapies(self.path[-1])

    @property
    def only_illustrative(self) -> bool:
        """Every case behind the node is illustrative: it rests on no real patient."""
        return self.cases > 0 and self.illustrative == self.cases

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def responded_share(self) -> float:
        return self.responses.get("responded", 0) / self.cases if self.cases else 0.0

    @property
    def failed(self) -> int:
        return sum(self.responses.get(r, 0) for r in FAILED)


def _start_filter(criteria: Criteria) -> tuple[str, list]:
    """The main screen's filters, applied to the cases a pathway starts from."""
    return criteria_sql("case", "rt.record_id", criteria.population("case"), None)


# A step's lead row (its smallest therapy id) carries the step; the rest of a regimen is
# looked up only when there is one, so single-therapy steps cost one probe more than before.
_OTHERS = """FROM record_therapies x WHERE x.kind = 'case' AND x.record_id = rt.record_id
    AND x.step = rt.step AND x.therapy_id {op} rt.therapy_id"""
LEAD = f"NOT EXISTS (SELECT 1 {_OTHERS.format(op='<')})"
REGIMEN_OF = f"""coalesce(rt.therapy_id || '{REGIMEN}'
    || (SELECT group_concat(x.therapy_id, '{REGIMEN}') {_OTHERS.format(op=">")}), rt.therapy_id)"""


def _walk_sql(criteria: Criteria) -> tuple[str, list]:
    where, args = _start_filter(criteria)
    failed = ",".join(f"'{r}'" for r in FAILED)
    sql = f"""
        WITH RECURSIVE
        start AS (
            SELECT rt.record_id AS case_id, min(rt.step) AS first_step
            FROM record_therapies rt
            WHERE rt.kind = 'case' AND rt.therapy_id = ? AND rt.response IN ({failed}) {where}
            GROUP BY rt.record_id
        ),
        walk(case_id, step, path, response) AS (
            SELECT s.case_id, rt.step, {REGIMEN_OF}, rt.response
            -- CROSS JOIN keeps start as the outer loop: left to itself the planner scans
            -- every case link and probes start
            FROM start s CROSS JOIN record_therapies rt
              ON rt.kind = 'case' AND rt.record_id = s.case_id AND rt.step = s.first_step + 1
            WHERE {LEAD}
            UNION ALL
            SELECT w.case_id, rt.step, w.path || '>' || {REGIMEN_OF}, rt.response
            FROM walk w JOIN record_therapies rt
              ON rt.kind = 'case' AND rt.record_id = w.case_id AND rt.step = w.step + 1
            WHERE w.response IN ({failed}) AND length(w.path) - length(replace(w.path, '>', ''))
                  < {MAX_DEPTH - 1} AND {LEAD}
        )"""
    return sql, args


def _table_filter(criteria: Criteria) -> tuple[str, list]:
    """The start filters (`_start_filter`'s) on pathway_steps' own columns: any of a
    filter's values, every filter."""
    clauses, args = [], []
    for name in ("subtype", "type"):
        values = sorted(getattr(criteria, name))
        if values:
            clauses.append(f"AND p.{name} IN ({','.join('?' * len(values))})")
            args += values
    for name, column in (("organ", "organs"), ("antibody", "antibodies")):
        if getattr(criteria, name):
            clauses.append(f"AND p.{column} & ? != 0")
            args.append(pathway_index.mask(name, getattr(criteria, name)))
    return " ".join(clauses), args


def _path_text(path: tuple[str, ...]) -> str:
    return pathway_index.STEP.join(regimen_key(regimen_therapies(key)) for key in path)


def _tree_from_table(store: Store, start: str, criteria: Criteria) -> list[PathNode]:
    """The tree from pathway_steps: one range scan of the starting therapy's rows, grouped
    in the key's own order (path, response, subtype), each organ counted by its bit."""
    where, args = _table_filter(criteria)
    organs = pathway_index.ORGAN_BITS
    counted = ", ".join(f"sum(p.organs >> {bit} & 1)" for bit in range(len(organs)))
    with store.lock:
        groups = store.read(
            f"""SELECT p.path, p.response, p.subtype, count(*), sum(p.illustrative), {counted}
                FROM pathway_steps p WHERE p.start = ? AND p.path > '' {where}
                GROUP BY p.path, p.response, p.subtype""",
            [start, *args],
        )
    nodes: dict[str, PathNode] = {}
    for raw, response, subtype, count, illustrative, *organ_counts in groups:
        node = nodes.get(raw)
        if node is None:
            node = nodes[raw] = PathNode(tuple(raw.split(pathway_index.STEP)))
        node.cases += count
        node.responses[response] = node.responses.get(response, 0) + count
        node.subtypes[subtype] = node.subtypes.get(subtype, 0) + count
        node.illustrative += illustrative
        for organ, many in zip(organs, organ_counts, strict=True):
            if many:
                node.organs[organ] = node.organs.get(organ, 0) + many
    return _ordered(list(nodes.values()))


def pathway_tree(store: Store, start: str, criteria: Criteria = NO_CRITERIA) -> list[PathNode]:
    """Every node under a starting therapy, parents before children, largest first."""
    if store.has_pathway_steps:
        return _tree_from_table(store, start, criteria)
    return walked_tree(store, start, criteria)


def walked_tree(store: Store, start: str, criteria: Criteria = NO_CRITERIA) -> list[PathNode]:
    """The tree walked from record_therapies by a recursive query: what pathway_steps holds,
    computed afresh (an older database opened read-only has no table; tests compare them)."""
    base, args = _walk_sql(criteria)
    nodes: dict[str, PathNode] = {}
    with store.lock:
        # One statement, so the walk (most of the cost) is computed once for both counts.
        tagged = store.read(
            base
            + """,
            walked AS (SELECT case_id, path, response FROM walk)  -- used twice: computed once
            -- subtypes and organs from the facets index, not the cases table: reading whole
            -- case rows (their JSON) was most of the time at 1M cases
            SELECT 'subtype', w.path, w.response, f.value, count(*)
            FROM walked w LEFT JOIN facets f
              ON f.kind = 'case' AND f.record_id = w.case_id AND f.facet = 'subtype'
            GROUP BY w.path, w.response, f.value
            UNION ALL
            SELECT 'organ', w.path, NULL, f.value, count(*)
            FROM walked w JOIN facets f
              ON f.kind = 'case' AND f.record_id = w.case_id AND f.facet = 'organ'
            GROUP BY w.path, f.value
            UNION ALL
            SELECT 'illustrative', w.path, NULL, NULL, count(*)
            FROM walked w JOIN cases c ON c.id = w.case_id AND c.illustrative
            GROUP BY w.path""",
            [start, *args],
        )
    for tag, raw, response, value, count in tagged:
        path = tuple(regimen_key(regimen_therapies(step)) for step in raw.split(">"))
        node = nodes.get(path)
        if node is None:
            node = nodes[path] = PathNode(path)
        if tag == "subtype":
            node.cases += count
            node.responses[response] = node.responses.get(response, 0) + count
            node.subtypes[value] = node.subtypes.get(value, 0) + count
        elif tag == "organ":
            node.organs[value] = node.organs.get(value, 0) + count
        else:
            node.illustrative += count
    return _ordered([node for node in nodes.values() if node.cases])


def _ordered(nodes: list[PathNode]) -> list[PathNode]:
    """Depth-first: each node followed by its children, bigger branches first."""
    children: dict[tuple[str, ...], list[PathNode]] = {}
    for node in nodes:
        children.setdefault(node.path[:-1], []).append(node)
    out: list[PathNode] = []

    def visit(parent: tuple[str, ...]) -> None:
        for node in sorted(children.get(parent, []), key=lambda n: (-n.cases, n.path)):
            out.append(node)
            visit(node.path)

    visit(())
    return out


def starting_cases(store: Store, start: str, criteria: Criteria = NO_CRITERIA) -> int:
    """How many cases failed the starting therapy (the root of the tree)."""
    if store.has_pathway_steps:
        where, args = _table_filter(criteria)
        with store.lock:
            return store.first(
                f"SELECT count(*) FROM pathway_steps p WHERE p.start = ? AND p.path = '' {where}",
                [start, *args],
            )[0]
    where, args = _start_filter(criteria)
    failed = ",".join(f"'{r}'" for r in FAILED)
    with store.lock:
        return store.first(
            f"""SELECT count(DISTINCT rt.record_id) FROM record_therapies rt
                WHERE rt.kind = 'case' AND rt.therapy_id = ? AND rt.response IN ({failed})
                {where}""",
            [start, *args],
        )[0]


def cases_at(
    store: Store,
    start: str,
    path: tuple[str, ...],
    criteria: Criteria = NO_CRITERIA,
    limit: int = 500,
) -> list[tuple[str, str, str]]:
    """(case id, title, response to the node's therapy) of the cases behind one node.

    The same cases as the tree's walk reaches at that node, found by joining one step per
    therapy of the path: SQLite cannot push the path into the recursive walk, which would
    walk every pathway for each node."""
    if not path:
        return []
    if store.has_pathway_steps:
        where, args = _table_filter(criteria)
        with store.lock:
            return store.read(
                f"""SELECT c.id, c.title, p.response FROM pathway_steps p
                    JOIN cases c ON c.id = p.case_id
                    WHERE p.start = ? AND p.path = ? {where}
                    ORDER BY c.title, c.id LIMIT ?""",
                [start, _path_text(path), *args, limit],
            )
    return walked_cases_at(store, start, path, criteria, limit)


def walked_cases_at(
    store: Store,
    start: str,
    path: tuple[str, ...],
    criteria: Criteria = NO_CRITERIA,
    limit: int = 500,
) -> list[tuple[str, str, str]]:
    """cases_at from record_therapies, one join per step of the path (see cases_at)."""
    where, args = _start_filter(criteria)
    failed = ",".join(f"'{r}'" for r in FAILED)
    steps, step_args = [], []
    for depth, key in enumerate(path, 1):
        # Each step follows the one before only if that one failed too, as in the walk; its
        # regimen is exactly the node's: one row per member, and no other row in the step.
        went_on = f"AND r{depth - 1}.response IN ({failed})" if depth > 1 else ""
        members = sorted(regimen_therapies(key))
        marks = ",".join("?" * len(members))
        steps.append(
            f"""CROSS JOIN record_therapies r{depth}
              ON r{depth}.kind = 'case' AND r{depth}.record_id = s.case_id
              AND r{depth}.step = s.first_step + {depth} AND r{depth}.therapy_id = ? {went_on}
              AND (SELECT count(*) FROM record_therapies x WHERE x.kind = 'case'
                   AND x.record_id = s.case_id AND x.step = r{depth}.step) = {len(members)}
              AND (SELECT count(*) FROM record_therapies x WHERE x.kind = 'case'
                   AND x.record_id = s.case_id AND x.step = r{depth}.step
                   AND x.therapy_id IN ({marks})) = {len(members)}"""
        )
        step_args += [members[0], *members]
    with store.lock:
        return store.read(
            f"""WITH start AS (
                    SELECT rt.record_id AS case_id, min(rt.step) AS first_step
                    FROM record_therapies rt
                    WHERE rt.kind = 'case' AND rt.therapy_id = ?
                      AND rt.response IN ({failed}) {where}
                    GROUP BY rt.record_id
                )
                SELECT c.id, c.title, r{len(path)}.response
                FROM start s {" ".join(steps)}
                JOIN cases c ON c.id = s.case_id
                ORDER BY c.title, c.id LIMIT ?""",
            [start, *args, *step_args, limit],
        )


def related_trials(
    store: Store, start: str, therapies: list[str], limit: int = 50
) -> list[tuple[str, str, str, bool]]:
    """Trials of the therapies that followed, as the higher-level evidence beside the tree.

    Returns (trial id, name, therapy id, population mentions the starting therapy). The data
    has no field for "population resistant to X"; a mention of X in the population text is
    shown as a hint, not a claim.
    """
    if not therapies:
        return []
    marks = ",".join("?" * len(therapies))
    with store.lock:
        rows = store.read(
            f"""SELECT DISTINCT t.id, t.name, rt.therapy_id,
                       json_extract(t.data, '$.population')
                FROM record_therapies rt JOIN trials t
                  ON rt.kind = 'trial' AND t.id = rt.record_id
                WHERE rt.therapy_id IN ({marks})
                ORDER BY t.evidence_type = 'rct' DESC, t.name LIMIT ?""",
            [*therapies, limit],
        )
        start_therapy = store.therapy(start)
    names = [start.lower()]
    if start_therapy is not None:
        names += [start_therapy.name.lower(), *(a.lower() for a in start_therapy.aliases)]
    return [
        (tid, name, therapy, any(n in (population or "").lower() for n in names))
        for tid, name, therapy, population in rows
    ]


@dataclass
class PathwayPosition:
    """Where a therapy sits in the pathways: after failures, and before others."""

    used_after_failure: int  # cases that got it after failing something else
    responded_after_failure: int
    failed_then_other: int  # cases that failed it and went on to another therapy


def position(store: Store, therapy: str) -> PathwayPosition:
    failed = ",".join(f"'{r}'" for r in FAILED)
    with store.lock:
        after, responded = store.first(
            f"""SELECT count(DISTINCT b.record_id),
                       count(DISTINCT CASE WHEN b.response = 'responded' THEN b.record_id END)
                FROM record_therapies b JOIN record_therapies a
                  ON a.kind = 'case' AND a.record_id = b.record_id AND a.step = b.step - 1
                WHERE b.kind = 'case' AND b.therapy_id = ? AND a.response IN ({failed})""",
            [therapy],
        )
        onward = store.first(
            f"""SELECT count(DISTINCT a.record_id)
                FROM record_therapies a JOIN record_therapies b
                  ON b.kind = 'case' AND b.record_id = a.record_id AND b.step = a.step + 1
                WHERE a.kind = 'case' AND a.therapy_id = ? AND a.response IN ({failed})""",
            [therapy],
        )[0]
    return PathwayPosition(after, responded, onward)


def response_mix(store: Store, therapy: str) -> dict[str, int]:
    """How the cases given a therapy responded to it."""
    with store.lock:
        rows = store.scan(
            """SELECT response, count(DISTINCT record_id) FROM record_therapies
               WHERE kind = 'case' AND therapy_id = ? GROUP BY response""",
            [therapy],
        )
        return {response: count for response, count in rows}
