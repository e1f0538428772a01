"""A finding's line in the detail pane reads as a sentence whatever parts its source gives."""

import pytest

from sclerotui.models import Finding
from sclerotui.widgets.detail import finding_line


def line(**given) -> str:
    finding = Finding(measure="FVC", source="s", verified=True, timepoint_weeks=52, **given)
    return finding_line(finding, {}).plain


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"effect": "about 44%"}, "• FVC — between arms at week 52: about 44% [verified]"),
        (
            {"value": -52.4, "unit": "mL/year", "p": "0.04"},
            "• FVC — between arms at week 52: -52.4 mL/year; p 0.04 [verified]",
        ),
        (
            {"value": 3.0, "comparator_value": 1.0, "effect": "RR 3"},
            "• FVC — between arms at week 52: 3 vs 1; RR 3 [verified]",
        ),
        ({"text": "no difference"}, "• FVC — between arms at week 52: no difference [verified]"),
        ({"ci": "1–2", "ci_level": 95}, "• FVC — between arms at week 52: 95% CI 1–2 [verified]"),
    ],
)
def test_a_finding_line_has_no_empty_parts(given, expected):
    assert line(**given) == expected
