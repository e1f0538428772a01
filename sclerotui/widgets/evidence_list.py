"""The evidence list: the selected therapy's trials and cases, kind and size at a glance."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sclerotui.store import EvidenceItem
from sclerotui.text import one_line
from sclerotui.widgets.therapy_list import VIM_KEYS

LABEL_WIDTH = 17


def evidence_prompt(item: EvidenceItem) -> Content:
    style = "$text-primary" if item.kind == "trial" else "$text-secondary"
    parts: list = [(f"{item.label:<{LABEL_WIDTH}} ", style), one_line(item.title)]
    if item.kind == "trial" and not item.verified:
        parts.append((" (unverified)", "$text-warning"))
    return Content.assemble(*parts)


def key_of(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


class EvidenceList(OptionList):
    BINDINGS = VIM_KEYS

    class ItemHighlighted(Message):
        def __init__(self, kind: str, record_id: str) -> None:
            self.kind, self.record_id = kind, record_id
            super().__init__()

    class ItemChosen(Message):
        def __init__(self, kind: str, record_id: str) -> None:
            self.kind, self.record_id = kind, record_id
            super().__init__()

    def show(self, items: list[EvidenceItem], empty: str, keep: str | None = None) -> None:
        """Replace the items, keeping the cursor on `keep` (kind:id) when still listed."""
        with self.prevent(OptionList.OptionHighlighted):
            self.clear_options()
            if items:
                self.add_options(
                    Option(evidence_prompt(item), id=key_of(item.kind, item.id)) for item in items
                )
            else:
                self.add_option(Option(Content.styled(empty, "italic dim"), disabled=True))
        if not items:
            return
        ids = {key_of(i.kind, i.id) for i in items}
        target = keep if keep in ids else key_of(items[0].kind, items[0].id)
        self.highlighted = self.get_option_index(target)
        self._announce(target)

    @property
    def item(self) -> tuple[str, str] | None:
        if self.highlighted is None:
            return None
        option_id = self.get_option_at_index(self.highlighted).id
        if not option_id:
            return None
        kind, record_id = option_id.split(":", 1)
        return kind, record_id

    def select_item(self, kind: str, record_id: str) -> bool:
        try:
            index = self.get_option_index(key_of(kind, record_id))
        except Exception:  # OptionDoesNotExist
            return False
        self.highlighted = index
        return True

    def _announce(self, option_id: str) -> None:
        kind, record_id = option_id.split(":", 1)
        self.post_message(self.ItemHighlighted(kind, record_id))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self._announce(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            kind, record_id = event.option.id.split(":", 1)
            self.post_message(self.ItemChosen(kind, record_id))
