"""Regenerate screenshots/ from the same app states the snapshot tests use.

Run: uv run python scripts/screenshots.py   (uses the bundled data, built into a temp dir)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sclerotui.app import SclerotuiApp  # noqa: E402
from sclerotui.bundle import build  # noqa: E402
from sclerotui.store import Store  # noqa: E402
from tests.app.helpers import explorer_ready  # noqa: E402
from tests.app.states import (  # noqa: E402
    BUNDLED_IDS,
    STATES,
    comparison,
    forest,
    pathways,
    summary,
)

OUT = ROOT / "screenshots"
NARROW = {"start", "case_timeline", "forest", "summary", "lens"}  # also drawn at 80x24


# Screens that need the bundled data's pathways (drawn only here, tested on a fixture).
async def lens(pilot, ids) -> None:
    """The patient lens for the profile README walks through: diffuse, anti-Scl-70, lung and
    skin, failed cyclophosphamide then mycophenolate, FVC 55% predicted."""
    from tests.app.helpers import settle
    from tests.lens_fixture import PROFILE

    pilot.app.lens_profile = PROFILE
    await pilot.press("l")
    await settle(pilot)


EXTRA = {
    "pathways": pathways,
    "comparison": comparison,
    "forest": forest,
    "summary": summary,
    "lens": lens,
}


async def shoot(db: Path, state: str, size: tuple[int, int]) -> Path:
    app = SclerotuiApp(Store(db))
    name = f"{state}-{size[0]}x{size[1]}.svg"
    async with app.run_test(size=size) as pilot:
        await explorer_ready(pilot)
        await {**STATES, **EXTRA}[state](pilot, BUNDLED_IDS)
        await pilot.pause()
        app.save_screenshot(name, str(OUT))
    app.store.close()
    return OUT / name


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bundled.db"
        store, _ = build(db)
        store.close()
        for state in [*STATES, *EXTRA]:
            sizes = [(120, 40)] + ([(80, 24)] if state in NARROW else [])
            for size in sizes:
                print(await shoot(db, state, size))


if __name__ == "__main__":
    asyncio.run(main())
