"""Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    """The footer rebuilds all its keys whenever the screen's bindings might have changed: on
    every focus move, and three times while the explorer starts (30-40 ms each, before the
    detail pane could fill). Here it is rebuilt only if what it would show differs."""

    _shown: tuple | None = None

    def shown_keys(self) -> tuple:
        """What the footer draws: each shown binding's key, label, and whether it is enabled."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (key, binding.action, binding.description, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )

    async def recompose(self) -> None:
        shown = self.shown_keys() if self.is_attached else None
        if shown is not None and shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
