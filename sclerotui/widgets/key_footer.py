"""Textual's footer, showing the keys that matter where the focus is, and always the help."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Input
from textual.widgets._footer import Footer, FooterKey

PALETTE_WIDTH = 14  # "^p palette" docked right, with its border and padding


def key_width(key_display: str, description: str) -> int:
    """Cells a FooterKey takes: the key padded by one each side, the description by one."""
    return cell_len(key_display) + 2 + (cell_len(description) + 1 if description else 0)


class KeyFooter(Footer):
    """Keys in order of what matters for the focused pane (the screen's `footer_order`), as
    many as fit the width, the help key first so it always shows, quitting next after them:
    Textual's footer showed
    the screen's keys in declaration order and cut them at the edge (`c`, `t`, `?` and `q`
    never showed at 120 columns). In a text box, where letters are typed, only keys that
    still work there are shown, and help is on F1.

    Textual rebuilds the footer whenever the screen's bindings might have changed: on every
    focus move, and three times while the explorer starts (each before the detail pane
    could fill). Here it is rebuilt only if what it would show differs."""

    _shown: tuple | None = None

    def shown_keys(self) -> tuple:
        """What the footer draws: each shown binding's key, label, and whether it is enabled."""
        palette = self.app.COMMAND_PALETTE_BINDING
        active = self.screen.active_bindings
        typing = isinstance(self.screen.focused, Input)
        candidates = []
        seen: set[str] = set()
        for key, (_node, binding, enabled, tooltip) in active.items():
            if binding.action == "help":  # ? — or F1 in a box, where ? is typed
                if (key == "f1") != typing:
                    continue
            elif not binding.show or key == palette:
                continue
            if binding.action in seen:
                continue
            display = self.app.get_key_display(binding)
            if typing and len(display) == 1 and display.isprintable():
                continue  # typed into the box, not run
            seen.add(binding.action)
            candidates.append((key, display, binding.action, binding.description, enabled, tooltip))
        order = getattr(self.screen, "footer_order", None)
        ranking = list(order()) if order is not None else []

        def rank(entry) -> tuple[int, int]:
            action = entry[2]
            if action == "help":
                return (0, 0)
            if action in ranking:
                return (1, ranking.index(action))
            return (2, 0) if action == "quit" else (3, 0)

        candidates.sort(key=rank)  # stable: unranked keys keep their declared order
        room = (self.size.width or self.app.size.width) - PALETTE_WIDTH
        shown = []
        for entry in candidates:
            width = key_width(entry[1], entry[3])
            if width <= room:
                shown.append(entry)
                room -= width
        if palette in active:
            _node, binding, enabled, tooltip = active[palette]
            display = self.app.get_key_display(binding)
            shown.append((palette, display, binding.action, binding.description, enabled, tooltip))
        return tuple(shown)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        palette = self.app.COMMAND_PALETTE_BINDING
        for key, display, action, description, enabled, tooltip in self._shown or ():
            yield FooterKey(
                key,
                display,
                description,
                action,
                disabled=not enabled,
                tooltip=description if key == palette else tooltip,
                classes="-command-palette" if key == palette else "",
            ).data_bind(compact=Footer.compact)

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompose)  # more or fewer keys fit

    async def recompose(self) -> None:
        shown = self.shown_keys() if self.is_attached else None
        if shown is not None and shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
