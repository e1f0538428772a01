"""The mini database plus fixture trials whose effects are given as numbers (test data, not
medical figures), for the forest plot and the summary of findings.

mRSS differences (rituximab vs placebo unless said): fx-a −3 (95% CI −5.5 to −0.5, n 40/40,
week 24, dcSSc); fx-b −1.2 (level not stated, −3 to 0.6, n 30/31, week 52, lcSSc, unverified);
fx-c cyclophosphamide 0.5 (95% CI −1 to 2, week 48, a subgroup). Event-free survival hazard
ratios (fx-d, HSCT vs cyclophosphamide): 0.52 (0.28 to 0.96) at week 52 and 0.35 (0.16 to 0.74)
at week 104, level not stated. FVC %pred odds ratio (fx-a): 0.65 (95% CI 0.44 to 0.96).
"""

from __future__ import annotations

from pathlib import Path

from conftest import build_mini_db, copy_of

from sclerotui.models import Dataset
from sclerotui.store import Store


def _trial(trial_id, name, arms, findings, subtypes):
    return {
        "id": trial_id,
        "name": name,
        "acronym": name,
        "design": "Fixture randomised trial",
        "evidence_type": "rct",
        "population": "Fixture population",
        "subtypes": subtypes,
        "therapies": [a["therapy"] for a in arms if a.get("therapy")],
        "arms": arms,
        "results": "Fixture results.",
        "findings": findings,
        "sources": ["seed-fixture"],
        "verified": True,
    }


def _arm(arm_id, name, therapy=None, n=None):
    return {"id": arm_id, "name": name, "therapy": therapy, "intervention": name, "n": n}


def _effect(measure, estimate, low, high, level, scale, favours, weeks, **more):
    return {
        "measure": measure,
        "timepoint_weeks": weeks,
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "ci_level": level,
        "scale": scale,
        "favours": favours,
        "intervention_arm": "drug",
        "comparator_arm": "control",
        "source": "seed-fixture",
        "verified": True,
        "note": "[V] fixture",
    } | more


RTX, PLACEBO = ("drug", "Rituximab", "rituximab"), ("control", "Placebo")
EXTRA = Dataset.model_validate(
    {
        "trials": [
            _trial(
                "fx-a",
                "FX-A",
                [_arm(*RTX, n=40), _arm(*PLACEBO, n=40)],
                [
                    _effect(
                        "mRSS",
                        -3,
                        -5.5,
                        -0.5,
                        95,
                        "difference",
                        "lower",
                        24,
                        n_intervention=40,
                        n_comparator=40,
                        unit="units",
                    ),
                    _effect(
                        "FVC %pred",
                        0.65,
                        0.44,
                        0.96,
                        95,
                        "odds-ratio",
                        "lower",
                        52,
                        n_intervention=40,
                        n_comparator=40,
                    ),
                ],
                ["diffuse"],
            ),
            _trial(
                "fx-b",
                "FX-B",
                [_arm(*RTX, n=30), _arm(*PLACEBO, n=31)],
                [
                    _effect(
                        "mRSS",
                        -1.2,
                        -3,
                        0.6,
                        None,
                        "difference",
                        "lower",
                        52,
                        n_intervention=30,
                        n_comparator=31,
                        unit="units",
                        verified=False,
                        note="[U] fixture",
                    ),
                ],
                ["limited"],
            ),
            _trial(
                "fx-c",
                "FX-C",
                [_arm("drug", "Cyclophosphamide", "cyclophosphamide"), _arm(*PLACEBO)],
                [
                    _effect(
                        "mRSS",
                        0.5,
                        -1,
                        2,
                        95,
                        "difference",
                        "lower",
                        48,
                        unit="units",
                        subgroup="dcSSc subgroup",
                    ),
                ],
                ["diffuse"],
            ),
            _trial(
                "fx-d",
                "FX-D",
                [
                    _arm("drug", "HSCT", "hsct", 79),
                    _arm("control", "Cyclophosphamide", "cyclophosphamide", 77),
                ],
                [
                    _effect(
                        "Event-free survival",
                        0.52,
                        0.28,
                        0.96,
                        None,
                        "hazard-ratio",
                        "lower",
                        52,
                        n_intervention=79,
                        n_comparator=77,
                    ),
                    _effect(
                        "Event-free survival",
                        0.35,
                        0.16,
                        0.74,
                        None,
                        "hazard-ratio",
                        "lower",
                        104,
                        n_intervention=79,
                        n_comparator=77,
                    ),
                ],
                ["diffuse"],
            ),
        ]
    }
)


def _write(path: Path) -> None:
    build_mini_db(path)
    with Store(path) as store:
        store.write_dataset(EXTRA, "bundled")


def build_evidence_db(path: Path) -> Path:
    return copy_of("evidence", _write, path)
