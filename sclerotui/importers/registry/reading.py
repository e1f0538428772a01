"""What the registry builders share: the study's problem log, and registry text read as our
values (time frames as weeks, figures as numbers, outcome titles as our measures)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sclerotui.importers.patterns import (
    BASELINE_RE,
    CHANGE_RE,
    MEASURE_PATTERNS,
    MILLILITRES_RE,
    NUMBER_UNIT_RE,
    PARTICIPANTS_RE,
    PER_YEAR_RE,
    PERCENT_PREDICTED_RE,
    TIME_UNIT_ALIASES,
    UNIT_NUMBER_RE,
    UNIT_WEEKS,
)


@dataclass
class StudyLog:
    """Where one study is in the file, and what reading it found: problems (which refuse the
    file) and notes (which are only said)."""

    where: str  # the file
    label: str  # "study" or "studies[3]"
    problems: list[str]
    notes: list[str]
    nct: str | None = None  # once the study's id is known, problems name it
    source_id: str = ""  # the registry record's source, which its figures cite
    event_ids: set[str] = field(default_factory=set)

    @property
    def record(self) -> str:
        return f"{self.label} ({self.nct})" if self.nct else self.label

    def problem(self, path: str, message: str) -> None:
        self.add(f"{self.where}: {self.record}: {path}: {message}")

    def add(self, line: str) -> None:
        if line not in self.problems:  # the same field may be read for two purposes
            self.problems.append(line)

    def note(self, message: str) -> None:
        self.notes.append(message)


def parse_time_frame(text: str | None) -> float | None:
    """Weeks from baseline for a registry time frame: the latest time it names.

    "Week 52", "52 weeks", "12 months" → 52; "24 Months" → 104; "Day 28" → 4; "Baseline" → 0;
    "Baseline to week 52" → 52; text without a time → None. Months count as 52/12 weeks.
    """
    if not text:
        return None
    times: list[float] = []
    for match in NUMBER_UNIT_RE.finditer(text.lower()):
        unit = TIME_UNIT_ALIASES.get(match.group(3), match.group(3))
        for number in (match.group(1), match.group(2)):
            if number is not None:
                times.append(float(number) * UNIT_WEEKS[unit])
    for match in UNIT_NUMBER_RE.finditer(text):
        unit = match.group(1).lower()
        unit = TIME_UNIT_ALIASES.get(unit, unit)
        numbers = [match.group(2), *re.findall(r"\d+(?:\.\d+)?", match.group(3) or "")]
        times += [float(number) * UNIT_WEEKS[unit] for number in numbers]
    if times:
        return round(max(times), 2)
    if BASELINE_RE.search(text):
        return 0.0
    return None


def clean(text: str) -> str:
    return " ".join(text.split())


def norm(text: str) -> str:
    """Lower case, punctuation as spaces: for whole-word and label comparisons."""
    return " ".join(re.sub(r"[^0-9a-zà-ÿµ%+]+", " ", text.casefold()).split())


def slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:limit].strip("-")


def number(text: object) -> float | None:
    """A figure as the registry writes it (v2: text, "20.5"; older records: a number)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
    elif isinstance(text, str):
        try:
            value = float(text.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None  # "NaN", "Infinity" are not figures


def whole(text: object) -> int | None:
    """A count of participants: a whole number, not below 0."""
    value = number(text)
    return int(value) if value is not None and value >= 0 and value == int(value) else None


def shorten(text: str, limit: int) -> str:
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def not_available(value: str | None) -> bool:
    """The registry's "NA" (not available / not estimable), as against a number or nothing."""
    return value is not None and value.strip().upper() in ("NA", "N/A")


def detect(patterns: dict[str, str], text: str) -> list[str]:
    return [name for name, pattern in patterns.items() if re.search(pattern, text, re.IGNORECASE)]


def measure_of(title: str, unit: str | None, param: str | None) -> tuple[str | None, str | None]:
    """Our measure name and statistic for an outcome title, or (None, None).

    A count or share of participants reaching a threshold is not a reading of the measure: it
    becomes a "percent" statistic (share of patients), or nothing for a raw count.
    """
    unit_text = unit or ""
    found = None
    for name, pattern in MEASURE_PATTERNS:
        if pattern.search(title):
            found = name
            break
    if found is None:
        return None, None
    both = f"{title} {unit_text}"
    if found == "FVC":
        if PERCENT_PREDICTED_RE.search(both):
            found = "FVC %pred"
        elif MILLILITRES_RE.search(both):
            found = "FVC mL"
        else:
            return None, None
    elif found == "DLCO":
        if not PERCENT_PREDICTED_RE.search(both):
            return None, None
        found = "DLCO %pred"
    counting = (param or "").upper() in ("COUNT_OF_PARTICIPANTS", "COUNT_OF_UNITS")
    if PARTICIPANTS_RE.search(unit_text) or counting:
        if re.search(r"percent|%", unit_text, re.IGNORECASE):
            return found, "percent"
        if found == "new DUs" and not counting:
            return found, "count"
        return None, None
    if PER_YEAR_RE.search(both):
        return found, "rate"
    if CHANGE_RE.search(title):
        return found, "change"
    if found == "new DUs":
        return found, "count"
    return found, "value"


AGE_UNITS = {
    "year": 1,
    "years": 1,
    "month": 1 / 12,
    "months": 1 / 12,
    "week": 7 / 365.25,
    "weeks": 7 / 365.25,
    "day": 1 / 365.25,
    "days": 1 / 365.25,
}


def registry_years(text: str | None) -> float | None:
    """ "18 Years", "6 Months" → years; "N/A" or anything else → None (not stated)."""
    figure, _, unit = (text or "").strip().partition(" ")
    try:
        value = float(figure)
    except ValueError:
        return None
    factor = AGE_UNITS.get(unit.strip().lower())
    return None if factor is None or value < 0 else round(value * factor, 2)
