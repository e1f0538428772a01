"""A posted statistical analysis as a finding: its text, and its estimate as numbers only as far
as the record states them (scale, interval and level, which arm is compared with which)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import ValidationError

from sclerotui.importers.registry.models import Analysis
from sclerotui.importers.registry.reading import StudyLog, norm, not_available, number
from sclerotui.models import EffectScale, Finding, describe_validation_error

if TYPE_CHECKING:
    from sclerotui.importers.registry.results import ResultGroup, Row

ORDER_WORDS = re.compile(
    r"^(?:-|−|–|/|minus|vs\.?|versus|over|relative to|compared (?:with|to)|divided by)$"
)


def analysis_finding(analysis: Analysis, groups: dict[str, ResultGroup], title: str) -> dict | None:
    """A between-group comparison posted with an outcome (effect, CI, p value) as text."""
    p_value, param, value = analysis.pValue, analysis.paramType, analysis.paramValue
    lower, upper = analysis.ciLowerLimit, analysis.ciUpperLimit
    if not (p_value or value):
        return None
    names = [groups[g].title for g in analysis.groupIds if g in groups]
    percent = analysis.ciPctValue
    one_sided = (analysis.ciNumSides or "").upper() == "ONE_SIDED"
    text = f"{title}: " + (" vs ".join(names) or "between groups")
    if analysis.statisticalMethod:
        text += f"; {analysis.statisticalMethod}"
    if analysis.estimateComment:
        text += f"; {analysis.estimateComment}"
    shown = "not estimable (NA)" if not_available(value) else value
    level = f"{percent}% CI" if percent else "CI"
    return {
        "arm": None,
        "effect": f"{param or 'estimate'} {shown}" if value else None,
        "ci": f"{lower} to {upper}"
        + (f" ({level}, one-sided)" if one_sided else f" ({level})" if percent else "")
        if lower and upper
        else None,
        "p": p_value,
        "text": text,
        "verified": True,
        "note": "registry posted results (statistical analysis)",
    }


def effect(
    analysis: Analysis,
    path: str,
    groups: dict[str, ResultGroup],
    rows: list[Row],
    counts: dict[str, int],
    finding: dict,
    log: StudyLog,
) -> dict:
    """The analysis as numbers (estimate, interval and level, scale, arms, n per arm), only as
    far as the record states them; {} leaves it as text.

    API v2 `analyses[]` fields read (all text): paramType (the estimation parameter: "Mean
    Difference (Final Values)", "Odds Ratio (OR)", "Hazard Ratio, Log", "Slope", "Other"…
    or free text), paramValue, ciPctValue, ciNumSides (ONE_SIDED / TWO_SIDED),
    ciLowerLimit, ciUpperLimit, groupIds, groupDescription, estimateComment; n from the
    outcome's denoms (units "Participants"). "NA" is not estimable, never a number. Nothing
    is worked out: no interval from a p-value, no level when ciPctValue is absent, no ratio
    from a log ratio. Which group is compared with which (the sign of a difference, the
    numerator of a ratio) must be stated (estimateComment or groupDescription naming the
    groups in order) or, for a difference, follow from the posted group values: else the
    estimate stays text.
    """
    scale = effect_scale(analysis.paramType)
    if scale is None:
        return {}
    raw = {
        "estimate": analysis.paramValue,
        "ci_low": analysis.ciLowerLimit,
        "ci_high": analysis.ciUpperLimit,
    }
    numbers = {name: number(value) for name, value in raw.items()}
    not_estimable = [name for name, value in raw.items() if not_available(value)]
    sides = (analysis.ciNumSides or "").upper()
    if sides == "ONE_SIDED":  # one bound, at a level not comparable with a two-sided one
        numbers["ci_low"] = numbers["ci_high"] = None
        not_estimable = [name for name in not_estimable if name == "estimate"]
    if numbers["estimate"] is None and "estimate" not in not_estimable:
        return {}
    level = number(analysis.ciPctValue)
    has_interval = numbers["ci_low"] is not None or numbers["ci_high"] is not None
    numeric: dict = {
        "scale": scale.value,
        "estimate": numbers["estimate"],
        "not_estimable": not_estimable,
    }
    if numbers["estimate"] is not None:
        numeric |= {"ci_low": numbers["ci_low"], "ci_high": numbers["ci_high"]}
        if has_interval and level is not None and 0 < level < 100:
            numeric["ci_level"] = level
    order = compared(analysis, groups, rows, scale, numbers)
    if order is None:
        if numbers["estimate"] is None:
            return {"scale": scale.value, "not_estimable": not_estimable}
        return {
            "note": finding["note"] + "; which group is compared with which is not "
            "stated, so the estimate is kept as text"
        }
    first, second = order
    numeric |= {
        "intervention_arm": groups[first].arm,
        "comparator_arm": groups[second].arm,
        "n_intervention": counts.get(first),
        "n_comparator": counts.get(second),
    }
    if sides == "ONE_SIDED":
        numeric["note"] = finding["note"] + "; one-sided interval, kept as text"
    try:
        Finding.model_validate(finding | numeric)
    except ValidationError as error:
        for line in describe_validation_error(error, "analysis"):
            log.problem(path, line.removeprefix("analysis: "))
        return {}
    return numeric


def compared(
    analysis: Analysis,
    groups: dict[str, ResultGroup],
    rows: list[Row],
    scale: EffectScale,
    numbers: dict[str, float | None],
) -> tuple[str, str] | None:
    """(the intervention's group id, the comparator's): the analysis compares two groups,
    each matched to an arm, and the record says which way round."""
    ids = [g for g in analysis.groupIds if g in groups]
    if len(ids) != 2 or None in (groups[ids[0]].arm, groups[ids[1]].arm):
        return None
    if groups[ids[0]].arm == groups[ids[1]].arm:
        return None
    for text in (analysis.estimateComment, analysis.groupDescription):
        order = order_named(text, ids, groups)
        if order:
            return order
    estimate, low, high = numbers["estimate"], numbers["ci_low"], numbers["ci_high"]
    if scale is not EffectScale.DIFFERENCE or estimate is None or low is None or high is None:
        return None
    # The posted group values, one each, tell which way a difference was taken when the
    # other way round would put their difference outside the record's own interval. The
    # difference decides the order only; it is never stored or shown.
    values: dict[str, list[float]] = {}
    for row in rows:
        for gid in ids:
            if groups[gid] is row.group and row.value is not None:
                values.setdefault(gid, []).append(row.value)
    if any(len(values.get(gid, [])) != 1 for gid in ids):
        return None
    for first, second in (ids, ids[::-1]):
        posted = values[first][0] - values[second][0]
        if posted * estimate > 0 and not low <= -posted <= high:
            return first, second
    return None


def effect_scale(param: str | None) -> EffectScale | None:
    """Our scale for an estimation parameter, or None where the number is not on one of them:
    a log ratio (never exponentiated here), a risk difference (percentage points or a
    proportion, not said), a slope, a Cox coefficient, "Other"."""
    words = norm(param or "")
    if not words or "log" in words.split():
        return None
    for name, scale in (
        ("hazard ratio", EffectScale.HAZARD_RATIO),
        ("odds ratio", EffectScale.ODDS_RATIO),
        ("risk ratio", EffectScale.RISK_RATIO),
        ("relative risk", EffectScale.RISK_RATIO),
        ("rate ratio", EffectScale.RATE_RATIO),
    ):
        if name in words:
            return scale
    if "difference" in words and "risk difference" not in words:
        return EffectScale.DIFFERENCE  # mean, median, least-squares mean: the measure's unit
    return None


def order_named(
    text: str | None, ids: list[str], groups: dict[str, ResultGroup]
) -> tuple[str, str] | None:
    """The two groups in the order a comment names them ("Nintedanib minus Placebo",
    "Drug / Placebo", "Drug versus Placebo"), or None when it does not say."""
    if not text:
        return None
    lowered = text.casefold()
    places = {}
    for gid in ids:
        title = groups[gid].title.casefold()
        if lowered.count(title) != 1:
            return None
        places[gid] = lowered.index(title)
    first, second = sorted(ids, key=places.get)
    end = places[first] + len(groups[first].title)
    between = " ".join(text[end : places[second]].split()).casefold()
    if places[second] < end or not ORDER_WORDS.match(between):
        return None
    return first, second
