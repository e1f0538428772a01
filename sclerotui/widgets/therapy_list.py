"""The therapy list: therapies grouped by class, with counts of their trials and cases."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sclerotui.lists import TherapyRow
from sclerotui.text import one_line
from sclerotui.widgets.cursor_list import CursorList, Row

CLASS_LABELS = {
    "immunosuppressant": "Immunosuppressants",
    "antifibrotic": "Antifibrotics",
    "biologic": "Biologics",
    "cell-therapy": "Cell therapy",
    "vasodilator": "Vasodilators",
    "endothelin-receptor-antagonist": "Endothelin antagonists",
    "pde5-inhibitor": "PDE5 inhibitors",
    "prostanoid": "Prostanoids",
    "ace-inhibitor": "ACE inhibitors",
    "apheresis": "Apheresis",
    "jak-inhibitor": "JAK inhibitors",
    "angiotensin-receptor-blocker": "ARBs",
    "procedure-or-supportive": "Procedures, supportive",
    "other": "Other",
    "not-stated": "Class not stated",
}

NAME_LINES = 4  # "Autologous haematopoietic stem-cell transplantation" at 16 cells

VIM_KEYS = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
]


def count_text(count: int) -> str:
    """A count in at most four cells, so columns never run together (174,572 → 175k);
    the evidence pane's title gives the exact number."""
    if count < 10_000:
        return str(count)
    if count < 999_500:
        return f"{round(count / 1000)}k"
    return f"{count / 1_000_000:.1f}M" if count < 9_950_000 else f"{round(count / 1e6)}M"


class TherapyList(CursorList):
    """Posts TherapyHighlighted as the cursor moves; counts follow the active filters."""

    BINDINGS = VIM_KEYS

    class TherapyHighlighted(Message):
        def __init__(self, therapy_id: str) -> None:
            self.therapy_id = therapy_id
            super().__init__()

    class TherapyChosen(Message):
        def __init__(self, therapy_id: str) -> None:
            self.therapy_id = therapy_id
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[TherapyRow] = []
        self.marked: list[str] = []  # therapies marked for comparison, set by the screen
        self._width = 0

    def on_resize(self) -> None:
        # Names are padded to the pane's width, so re-draw when it changes.
        if self.rows and self.content_size.width != self._width:
            current = self.therapy_id
            self._fill(self.rows)
            if current is not None:
                with self.prevent(OptionList.OptionHighlighted):
                    self.highlighted = self.get_option_index(current)

    def show(self, rows: list[TherapyRow], keep: str | None = None) -> None:
        """Replace the rows, keeping the cursor on `keep` when it is still listed."""
        self.rows = rows
        self._fill(rows)
        self.border_subtitle = "trials cases"
        target = keep if keep and self._has(keep) else self._first_enabled()
        if target is not None:
            self.highlighted = self.get_option_index(target)
            self.post_message(self.TherapyHighlighted(target))

    def _fill(self, rows: list[TherapyRow]) -> None:
        options: list[Option] = []
        current_class = None
        self._width = self.content_size.width
        name_width = max(8, (self._width or 28) - 12)
        for row in rows:
            therapy_class = row.therapy.therapy_class
            if therapy_class != current_class:
                current_class = therapy_class
                label = CLASS_LABELS.get(therapy_class, therapy_class)
                options.append(Option(Content.styled(label, "bold $text-accent"), disabled=True))
            # The whole name, wrapped at words onto more lines (a clinician looks for
            # "Cyclophosphamide", not "Cyclophospham…"). Lines are cut and padded by cells,
            # not characters: wide (CJK, emoji) and zero-width characters must not push the
            # counts out of their columns.
            lines = Content(one_line(row.therapy.name)).wrap(name_width) or [Content("")]
            name = lines[0].truncate(name_width, pad=True)
            mark = ("●", "bold $text-warning") if row.therapy.id in self.marked else " "
            prompt = Content.assemble(
                mark,
                name,
                (f" {count_text(row.trials):>3}", "$text-primary" if row.trials else "dim"),
                (f" {count_text(row.cases):>4}", "$text-secondary" if row.cases else "dim"),
            )
            if len(lines) > 1:
                # At most NAME_LINES (a name of hundreds of words is whole in the detail).
                more = [line.truncate(name_width) for line in lines[1:NAME_LINES]]
                if len(lines) > NAME_LINES:
                    last = Content.assemble(more[-1], " " * name_width)
                    more[-1] = last.truncate(name_width - 1) + Content("…")
                prompt = Content("\n").join([prompt, *(Content(" ") + line for line in more)])
            options.append(Option(Row.of(prompt), id=row.therapy.id))
        with self.prevent(OptionList.OptionHighlighted):
            self.replace_options(options)

    def show_marks(self, marked: list[str]) -> None:
        """Redraw with these therapies marked, the cursor staying put."""
        self.marked = marked
        current = self.therapy_id
        self._fill(self.rows)
        if current is not None:
            with self.prevent(OptionList.OptionHighlighted):
                self.highlighted = self.get_option_index(current)

    def _has(self, option_id: str) -> bool:
        try:
            self.get_option(option_id)
        except Exception:  # OptionDoesNotExist
            return False
        return True

    def _first_enabled(self) -> str | None:
        for option in self.options:
            if not option.disabled and option.id:
                return option.id
        return None

    def select_therapy(self, therapy_id: str) -> bool:
        if not self._has(therapy_id):
            return False
        self.highlighted = self.get_option_index(therapy_id)
        return True

    @property
    def therapy_id(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.TherapyHighlighted(event.option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.TherapyChosen(event.option.id))
