"""The evidence list: the selected therapy's trials and cases, kind and size at a glance."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sclerotui.lists import EvidenceItem
from sclerotui.text import one_line, shorten
from sclerotui.widgets.cursor_list import CursorList, Row
from sclerotui.widgets.therapy_list import VIM_KEYS

TITLE_CHARS = 150  # a few lines at most; the detail below shows the whole title
WINDOW = 200  # rows held at once; moving past either end asks the screen for another window


def evidence_prompt(item: EvidenceItem) -> Content:
    """Two lines, each cut to the pane's width (the list does not wrap): title, then kind."""
    style = "$text-primary" if item.kind == "trial" else "$text-secondary"
    parts: list = [shorten(one_line(item.title), TITLE_CHARS), "\n  ", (item.label, style)]
    if item.kind == "trial" and not item.verified:
        parts.append((" · result unverified", "$text-warning"))  # the result, not the size
    return Content.assemble(*parts)


def key_of(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


class EvidenceList(CursorList):
    BINDINGS = VIM_KEYS

    class ItemHighlighted(Message):
        def __init__(self, kind: str, record_id: str) -> None:
            self.kind, self.record_id = kind, record_id
            super().__init__()

    class ItemChosen(Message):
        def __init__(self, kind: str, record_id: str) -> None:
            self.kind, self.record_id = kind, record_id
            super().__init__()

    class WindowWanted(Message):
        """The cursor wants row `position` (counted over the whole list), not loaded yet."""

        def __init__(self, position: int) -> None:
            self.position = position
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.window_offset = 0  # position of the first loaded row in the whole list
        self.total = 0

    def show(
        self,
        items: list[EvidenceItem],
        empty: str,
        keep: str | None = None,
        offset: int = 0,
        total: int | None = None,
    ) -> None:
        """Replace the items, keeping the cursor on `keep` (kind:id) when still listed."""
        self.window_offset = offset
        self.total = len(items) if total is None else total
        self.border_subtitle = ""
        with self.prevent(OptionList.OptionHighlighted):
            if items:
                self.replace_options(
                    Option(Row.of(evidence_prompt(item)), id=key_of(item.kind, item.id))
                    for item in items
                )
            else:
                self.replace_options([Option(Content.styled(empty, "italic dim"), disabled=True)])
        if not items:
            return
        ids = {key_of(i.kind, i.id) for i in items}
        target = keep if keep in ids else key_of(items[0].kind, items[0].id)
        self.highlighted = self.get_option_index(target)
        self._announce(target)

    def _more_below(self) -> bool:
        return self.window_offset + self.option_count < self.total

    def action_cursor_down(self) -> None:
        if self.highlighted == self.option_count - 1 and self._more_below():
            self.post_message(self.WindowWanted(self.window_offset + self.option_count))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.highlighted == 0 and self.window_offset > 0:
            self.post_message(self.WindowWanted(self.window_offset - 1))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        step = max(1, self.scrollable_content_region.height - 1)
        if (self.highlighted or 0) + step >= self.option_count and self._more_below():
            target = min(self.total - 1, self.window_offset + (self.highlighted or 0) + step)
            self.post_message(self.WindowWanted(target))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        step = max(1, self.scrollable_content_region.height - 1)
        if (self.highlighted or 0) - step < 0 and self.window_offset > 0:
            self.post_message(
                self.WindowWanted(max(0, self.window_offset + (self.highlighted or 0) - step))
            )
        else:
            super().action_page_up()

    def action_last(self) -> None:
        if self._more_below():
            self.post_message(self.WindowWanted(self.total - 1))
        else:
            super().action_last()

    def action_first(self) -> None:
        if self.window_offset > 0:
            self.post_message(self.WindowWanted(0))
        else:
            super().action_first()

    def show_window(self, items: list[EvidenceItem], offset: int, position: int) -> None:
        """A new window of the same list, the cursor on row `position` of the whole list."""
        index = min(max(0, position - offset), len(items) - 1)
        target = key_of(items[index].kind, items[index].id)
        self.show(items, "", keep=target, offset=offset, total=self.total)

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
        if self.highlighted is not None:
            position = self.window_offset + self.highlighted + 1
            self.border_subtitle = f"{position:,} of {self.total:,}"
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
