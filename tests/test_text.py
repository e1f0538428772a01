"""Record text made safe to show: the printable fast path changes no result."""

import re

import pytest

from sclerotui.text import (
    CONTROLS,
    CONTROLS_ONE_LINE,
    _picture,
    one_line,
    visible,
    without_controls,
)


def visible_by_patterns(text: str, multiline: bool) -> str:
    """visible() as it was before the fast path: every pattern run on every text."""
    text = re.sub("[\u2028\u2029]", "\n" if multiline else " ", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return re.sub(f"[{CONTROLS if multiline else CONTROLS_ONE_LINE}]", _picture, text)


def without_controls_by_patterns(text: str) -> str:
    return re.sub(f"[{CONTROLS_ONE_LINE}]", "", re.sub(r"[\t\n\r\u2028\u2029]", " ", text))


# The basic plane, and the plane of the tag characters (each one a text around it).
CODE_POINTS = [*range(0x0000, 0xD800), *range(0xE000, 0x10000), *range(0xE0000, 0xE1000)]


@pytest.mark.parametrize("multiline", [True, False])
def test_every_character_shown_as_the_patterns_show_it(multiline):
    different = [
        hex(code)
        for code in CODE_POINTS
        if visible(f"a{chr(code)}b", multiline) != visible_by_patterns(f"a{chr(code)}b", multiline)
    ]
    assert different == []


def test_every_character_typed_kept_or_dropped_as_the_patterns_did():
    different = [
        hex(code)
        for code in CODE_POINTS
        if without_controls(f"a{chr(code)}b") != without_controls_by_patterns(f"a{chr(code)}b")
    ]
    assert different == []


def test_controls_still_shown():
    assert visible("a\x1b[31mb\u202ec") == "a␛[31mb\\u202ec"
    assert visible("one\ntwo\u2028three") == "one\ntwo\nthree"
    assert one_line("one\ttwo\n\x07") == "one two ␇"
    assert without_controls("a\x1b\tb\u200b") == "a b"
    assert visible("plain text, ünïcode and emoji 🙂") == "plain text, ünïcode and emoji 🙂"


def test_counts_agree_with_their_nouns():
    from sclerotui.text import counted

    assert counted(1, "trial") == "1 trial"
    assert counted(2, "trial") == "2 trials"
    assert counted(0, "case") == "0 cases"
    assert counted(1, "therapy", "therapies") == "1 therapy"
    assert counted(1200, "therapy", "therapies") == "1,200 therapies"
