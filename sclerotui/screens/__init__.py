"""The app's screens, one module each."""

from __future__ import annotations

from pathlib import Path


def screen_css(name: str) -> str:
    """A screen's CSS from its .tcss file beside the modules, as the screen's DEFAULT_CSS.

    Not in app.tcss: Textual matches every rule of the stylesheet against every widget it
    styles, so the explorer's first frame is quicker without the other screens' rules. Not
    CSS_PATH either: a screen's CSS file restyles the whole app when the screen first opens,
    where DEFAULT_CSS is parsed once and styles only that screen. Its rules are
    scoped to the screen and yield to app.tcss, which has none for these screens."""
    return (Path(__file__).parent / name).read_text(encoding="utf-8")
