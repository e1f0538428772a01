"""A list row's height, counted from its text, is the height Textual draws it at."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from textual.content import Content

from sclerotui.widgets.cursor_list import Row

# Words of every width: ASCII, wide (two cells), combining marks, and runs longer than a line.
WORDS = st.sampled_from(
    ["a", "lung", "fibrosis", "cyclophosphamide", "x" * 45, "間質性肺疾患", "e\u0301", "—", "…"]
)
SPACES = st.sampled_from([" ", "  ", "\n", " \n", "\n\n"])
TEXTS = st.lists(st.tuples(WORDS, SPACES), max_size=30).map(
    lambda pairs: "".join(word + space for word, space in pairs)
)
RULES = st.fixed_dictionaries(
    {
        "text_wrap": st.sampled_from(["wrap", "nowrap"]),
        "text_overflow": st.sampled_from(["fold", "ellipsis", "clip"]),
        "line_pad": st.integers(0, 2),
    }
)


@settings(max_examples=600, deadline=None)
@given(text=TEXTS, rules=RULES, width=st.integers(1, 90))
def test_a_rows_height_is_the_height_content_wraps_it_to(text, rules, width):
    assume(width > 2 * rules["line_pad"])  # narrower, Textual's own measure fails
    expected = Content(text).get_height(rules, width)
    assert Row(text).get_height(rules, width) == expected


def test_a_hit_with_a_long_snippet_is_counted_over_several_lines():
    text = "case    Synthetic case 1\n        " + "skin thickening of the forearms " * 6
    rules = {"text_wrap": "wrap", "text_overflow": "fold", "line_pad": 0}
    assert Row(text).get_height(rules, 40) == Content(text).get_height(rules, 40) > 3
