"""Making record text safe to show: control characters become visible, never interpreted."""

from __future__ import annotations

import re

# C0 controls (but newline and tab), DEL, and C1 controls: a terminal would act on these.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
_CONTROL_ANY_RE = re.compile(r"[\x00-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ␛ for ESC, ␀ for NUL
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}"


def visible(text: str, multiline: bool = True) -> str:
    """Replace control characters with visible stand-ins, keeping newlines when asked."""
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    pattern = _CONTROL_RE if multiline else _CONTROL_ANY_RE
    return pattern.sub(_picture, text)


def one_line(text: str) -> str:
    """A record string for a single-line cell: whitespace collapsed, controls visible."""
    return visible(" ".join(text.split()), multiline=False)
