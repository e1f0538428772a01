"""Making record text safe to show: control characters become visible, never interpreted."""

from __future__ import annotations

import re
from functools import cache

# C0 controls (but newline and tab), DEL, and C1 controls: a terminal would act on these.
# Also shown, as \uXXXX: the bidirectional embeddings, overrides and isolates, which can make
# a terminal draw text in another order than it is stored ("Trojan Source"), and invisible
# characters that have no business in a record (zero-width space, word joiner and invisible
# operators, byte-order mark, tag characters) and would hide text or differences between
# names. Zero-width (non-)joiners stay: scripts and emoji sequences need them.
_SHOWN = (
    "\u202a-\u202e\u2066-\u2069"  # bidirectional controls
    "\u200b\u2060-\u2064\ufeff"  # zero-width space, word joiner, invisible operators, BOM
    "\U000e0000-\U000e007f"  # tag characters
)
CONTROLS = f"\x00-\x08\x0b-\x1f\x7f\x80-\x9f{_SHOWN}"  # made visible (newline and tab kept)
CONTROLS_ONE_LINE = f"\x00-\x1f\x7f\x80-\x9f{_SHOWN}"  # made visible on one line

# What a file we write (an export) never holds raw: every control but tab and newline, every
# format character (bidi marks, embeddings, overrides and isolates, zero-width and invisible
# characters, the soft hyphen, tags) but the zero-width (non-)joiners, and the line and
# paragraph separators: Unicode's Cc, Cf, Zl and Zp. Wider than CONTROLS: a file is read by
# editors and terminals we do not know, and an escape costs it nothing.
INVISIBLE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f"
)


@cache
def _pattern(characters: str) -> re.Pattern[str]:
    # Compiled on first use, not at import (before the first frame): most record text is
    # printable, which str.isprintable tells without them.
    return re.compile(f"[{characters}]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ␛ for ESC, ␀ for NUL
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str, multiline: bool = True) -> str:
    """Replace control characters with visible stand-ins, keeping newlines when asked.

    Unicode line and paragraph separators are line breaks (spaces on one line)."""
    if text.isprintable():
        return text  # no control, separator, newline or tab: nothing to replace
    text = _pattern("\u2028\u2029").sub("\n" if multiline else " ", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return _pattern(CONTROLS if multiline else CONTROLS_ONE_LINE).sub(_picture, text)


def shown(text: str, multiline: bool = True) -> str:
    """`visible`, and every other invisible character (INVISIBLE) shown as its code too: for
    text written to a file that people read (a Markdown dossier)."""
    text = visible(text, multiline)
    hidden = invisible_characters()
    return hidden.sub(_picture, text) if hidden.search(text) else text


def invisible_characters() -> re.Pattern[str]:
    """The pattern of one character a written file must escape (see INVISIBLE)."""
    return _pattern(INVISIBLE)


def one_line(text: str) -> str:
    """A record string for a single-line cell: whitespace collapsed, controls visible."""
    return visible(" ".join(text.split()), multiline=False)


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis marking a cut (for lists; details show all)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def without_controls(text: str) -> str:
    """Text for a one-line input box: controls dropped, tabs and newlines made spaces.

    For what the user types or pastes, not record text (records show their controls)."""
    if text.isprintable():
        return text
    return _pattern(CONTROLS_ONE_LINE).sub("", re.sub(r"[\t\n\r\u2028\u2029]", " ", text))


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 trial', '2 trials': a count with its noun agreeing (never 'trial(s)')."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
