"""A user's replacement of a curated record is the user's data: a release that brings new
curated files keeps it, updates the other curated records, and never locks the user out."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import sclerotui.bundle as bundle
from sclerotui.app import SclerotuiApp
from sclerotui.cli import EXIT_OK, main
from sclerotui.dataset import bundled_dir
from sclerotui.store import SCHEMA_VERSION, Store
from tests.app.helpers import caught_up, detail_text

FIXTURES = Path(__file__).parent / "fixtures"
SENSCIS_REGISTRY = FIXTURES / "registry" / "senscis_registry.json"
OVERRIDE_LINE = "yours, in place of the curated record"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def releases(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """The curated files of the previous release and of the next one, which changes two
    trials' records (SENSCIS, which the user replaces, and DESIRES, which they do not) and
    brings a therapy's record again unchanged."""
    old = tmp_path / "release-1"
    shutil.copytree(bundled_dir(), old)
    new = tmp_path / "release-2"
    shutil.copytree(bundled_dir(), new)
    for name in ("senscis", "desires"):
        path = new / "trials" / f"{name}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["trials"][0]["name"] += " [release 2]"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    monkeypatch.setattr(bundle, "bundled_dir", lambda: old)
    return old, new


def user_db() -> Path:
    return bundle.default_db_path()


def users_senscis_json(tmp_path: Path) -> Path:
    """The curated SENSCIS record as the user edited it (what an old release let them
    import with --replace: a JSON file of our own format)."""
    data = json.loads((bundled_dir() / "trials" / "senscis.json").read_text(encoding="utf-8"))
    data["trials"][0]["name"] = "SENSCIS (my clinic's reading)"
    path = tmp_path / "my-senscis.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def as_schema_5(path: Path) -> None:
    """The database as the previous release wrote it: origins are bare file names and the
    curated ids are not listed."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE curated")
    for table in ("therapies", "trials", "cases", "sources"):
        conn.execute(f"UPDATE {table} SET origin = substr(origin, 8) WHERE origin LIKE 'import:%'")
    for table in ("trials", "cases"):
        conn.execute(f"UPDATE {table} SET data = json_set(data, '$.origin', origin)")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()


def check_every_command_opens(capsys, new: Path) -> None:
    """The new release's commands on the user's database: each one works."""
    for argv in (
        ("db", "stats"),
        ("search", "nintedanib"),
        ("export", "senscis", "--format", "md"),
        ("db", "check"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == EXIT_OK, (argv, err)
        assert "use --replace" not in err


def test_the_registry_record_of_a_curated_trial_replaces_it_as_the_users(
    capsys, releases, tmp_path
):
    """The registry's own SENSCIS record, with its posted results, imported with --replace:
    it takes the curated trial's id and place, and is shown as the user's."""
    _, _ = releases
    assert run(capsys, "db", "stats")[0] == EXIT_OK  # built from release 1
    code, out, err = run(capsys, "import", "--replace", SENSCIS_REGISTRY)
    assert code == EXIT_OK, err
    assert "senscis_registry.json: registry: 0 therapies, 1 trials" in out
    with Store(user_db()) as store:
        trial = store.trial("senscis")
        assert trial.name.startswith("SENSCIS (Nintedanib vs placebo")
        assert [f.value for f in trial.findings if f.value is not None] == [-52.4, -93.3]
        assert store.registry_trials()["NCT02597933"] == "senscis"  # never twice
        origin = store.origin_of("trial", "senscis")
        assert (origin.kind, origin.where, origin.overrides) == (
            "import",
            "senscis_registry.json",
            True,
        )
        assert store.origin_of("trial", "desires").overrides is False
    code, out, _ = run(capsys, "db", "stats")
    assert "  trials and cases imported from senscis_registry.json: 1" in out
    assert "  curated records replaced by your own: trial senscis" in out


def test_a_new_release_keeps_the_users_registry_record_and_updates_the_rest(
    capsys, releases, monkeypatch
):
    _, new = releases
    assert run(capsys, "db", "stats")[0] == EXIT_OK
    assert run(capsys, "import", "--replace", SENSCIS_REGISTRY)[0] == EXIT_OK
    monkeypatch.setattr(bundle, "bundled_dir", lambda: new)  # the upgrade

    code, out, err = run(capsys, "db", "stats")
    assert code == EXIT_OK, err
    assert "kept your own trial senscis in place of the curated record" in out
    with Store(user_db()) as store:
        assert store.trial("senscis").name.startswith("SENSCIS (Nintedanib vs placebo")
        assert store.trial("desires").name.endswith("[release 2]")
        assert store.origin_of("trial", "senscis").overrides
        assert store.meta("bundled_fingerprint") == bundle.fingerprint(new)
        events = {e.id for e in store.events("trial", "senscis")}
        assert events == {
            "senscis-nintedanib-start",
            "senscis-placebo-start",
            "senscis-om1-nintedanib",
            "senscis-om1-placebo",
        }  # the registry record's, none of the curated record's
        assert store.integrity_problems() == []
    check_every_command_opens(capsys, new)


def test_upgrade_from_the_previous_release_keeps_a_replaced_curated_record(
    capsys, releases, monkeypatch, tmp_path
):
    """The issue's lock-out: the previous release's database (schema 5), SENSCIS replaced
    by the user, then a release with different curated files. Before, the refresh hit the id
    clash and every command exited 2 with "use --replace" advice."""
    _, new = releases
    assert run(capsys, "db", "stats")[0] == EXIT_OK
    code, _, err = run(capsys, "import", "--replace", users_senscis_json(tmp_path))
    assert code == EXIT_OK, err
    as_schema_5(user_db())
    monkeypatch.setattr(bundle, "bundled_dir", lambda: new)

    code, out, err = run(capsys, "db", "stats")
    assert code == EXIT_OK, err
    assert "kept your own trial senscis in place of the curated record" in out
    with Store(user_db()) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.trial("senscis").name == "SENSCIS (my clinic's reading)"
        assert store.trial("desires").name.endswith("[release 2]")
        origin = store.origin_of("trial", "senscis")
        assert (origin.where, origin.overrides) == ("my-senscis.json", True)
        assert store.integrity_problems() == []
    check_every_command_opens(capsys, new)


async def test_the_explorer_opens_after_the_upgrade_and_says_whose_record_it_is(
    capsys, releases, monkeypatch
):
    _, new = releases
    assert run(capsys, "import", "--replace", SENSCIS_REGISTRY)[0] == EXIT_OK
    monkeypatch.setattr(bundle, "bundled_dir", lambda: new)
    store, note = bundle.open_default()
    assert "kept your own trial senscis" in note
    app = SclerotuiApp(store, note=note)
    async with app.run_test(size=(120, 40)) as pilot:
        await caught_up(pilot)
        app.main_screen.jump_to("trial", "senscis")
        await caught_up(pilot)
        text = detail_text(app)
        assert "imported from senscis_registry.json at " in text
        assert OVERRIDE_LINE in text
        app.main_screen.jump_to("trial", "desires")
        await caught_up(pilot)
        assert "imported from" not in detail_text(app)
        assert app.database_error is None
    store.close()


def test_a_refresh_that_cannot_be_done_opens_the_database_unchanged_with_a_note(
    capsys, releases, monkeypatch, tmp_path
):
    """A new release that drops a therapy an imported case uses: the refresh is refused,
    yet every command still opens the database (as it was), saying why."""
    old, new = releases
    assert run(capsys, "db", "stats")[0] == EXIT_OK
    case = {
        "id": "my-case",
        "title": "A case on bosentan",
        "subtype": "limited",
        "therapies": [{"therapy": "bosentan", "response": "resistant"}],
        "narrative": "Imported by the user.",
        "illustrative": False,
        "sources": ["nct02597933"],
    }
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"cases": [case]}), encoding="utf-8")
    assert run(capsys, "import", mine)[0] == EXIT_OK
    therapies = json.loads((new / "therapies.json").read_text(encoding="utf-8"))
    therapies["therapies"] = [t for t in therapies["therapies"] if t["id"] != "bosentan"]
    (new / "therapies.json").write_text(json.dumps(therapies), encoding="utf-8")
    for path in new.rglob("*.json"):  # and whatever else of the curated data names it
        if path.name not in ("therapies.json", "vocabularies.json"):
            text = path.read_text(encoding="utf-8")
            if '"bosentan"' in text:
                path.unlink()
    monkeypatch.setattr(bundle, "bundled_dir", lambda: new)
    before = user_db().read_bytes()

    code, out, err = run(capsys, "db", "stats")
    assert code == EXIT_OK, err
    assert "could not be brought into" in out and "is unchanged" in out
    assert user_db().read_bytes() == before
    code, out, _ = run(capsys, "search", "bosentan")
    assert code == EXIT_OK and "my-case" in out
