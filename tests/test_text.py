"""Record text made safe to show: the printable fast path changes no result."""

import re

import pytest

from sclerotui.text import CONTROLS, CONTROLS_ONE_LINE, one_line, visible, without_controls


def picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible_by_patterns(text: str, multiline: bool) -> str:
    """visible() as it was before the fast path: every pattern run on every text."""
    text = re.sub("[\u2028\u2029]", "\n" if multiline else " ", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return re.sub(f"[{CONTROLS if multiline else CONTROLS_ONE_LINE}]", picture, text)


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


def test_controls_still_shown():
    assert visible("a\x1b[31mb\u202ec") == "a␛[31mb\\u202ec"
    assert visible("one\ntwo\u2028three") == "one\ntwo\nthree"
    assert one_line("one\ttwo\n\x07") == "one two ␇"
    assert without_controls("a\x1b\tb\u200b") == "a b"
    assert visible("plain text, ünïcode and emoji 🙂") == "plain text, ünïcode and emoji 🙂"
