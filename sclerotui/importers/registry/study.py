"""One study record: its shape checked by the models, then its protocol and its results mapped
by their builders into a Trial, its registry Source and the trial's timeline events."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sclerotui.importers.registry.models import read_study
from sclerotui.importers.registry.protocol import (
    TherapyMatcher,
    about_systemic_sclerosis,
    build_trial,
    start_events,
)
from sclerotui.importers.registry.reading import StudyLog
from sclerotui.importers.registry.results import build_findings, flow_counts
from sclerotui.models import (
    NCT_RE,
    Source,
    TimelineEvent,
    Trial,
    describe_validation_error,
)

# What says which study this is and what it is about: its problems are reported even for a
# study that is then skipped (about another disease), whose other modules are not read.
HEAD = {"identificationModule", "conditionsModule"}
NCT_AT = "protocolSection.identificationModule.nctId"


def kind_of(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def build_study(
    record: object,
    log: StudyLog,
    matcher: TherapyMatcher,
    trial_ids: dict[str, str],
    skip_unmatched: bool,
) -> tuple[Trial, Source, list[TimelineEvent]] | None:
    """The study's trial, source and events; None when it has problems (in `log`) or is
    left out (with a note)."""
    if not isinstance(record, dict):
        log.problem("(record)", f"expected a study object, got {kind_of(record)}")
        return None
    protocol_section = record.get("protocolSection")
    if not isinstance(protocol_section, dict):
        got = "it is missing" if protocol_section is None else f"got {kind_of(protocol_section)}"
        log.problem("protocolSection", f"a study record needs a protocolSection; {got}")
        return None
    study, shape_errors = read_study(record)
    head_errors, other_errors = [], []
    for error in shape_errors:
        loc = error["loc"]
        in_head = len(loc) > 1 and loc[0] == "protocolSection" and loc[1] in HEAD
        (head_errors if in_head else other_errors).append(error)

    nct = study.protocolSection.identificationModule.nctId if study else None
    if nct is not None and NCT_RE.match(nct):
        log.nct = nct
    report(head_errors, log)
    if study is None:  # the record could not be read even without its wrong values
        report(other_errors, log)
        return None
    if log.nct is None:
        if nct is not None:
            log.problem(NCT_AT, f"{nct!r} is not NCT followed by 8 digits")
        elif not any(e["loc"] == tuple(NCT_AT.split(".")) for e in head_errors):
            log.problem(NCT_AT, "missing")
        return None
    protocol = study.protocolSection
    if not about_systemic_sclerosis(protocol):
        shown = ", ".join(protocol.conditionsModule.conditions) or "none listed"
        log.note(f"skipped {nct}: not about systemic sclerosis (conditions: {shown})")
        return None
    report(other_errors, log)

    trial_id = trial_ids.get(nct, nct.lower())
    log.source_id = nct.lower()  # the registry record, whatever the trial's id
    draft = build_trial(
        protocol, trial_id, log, matcher, flow_counts(study.resultsSection), skip_unmatched
    )
    findings = build_findings(study.resultsSection, trial_id, draft.arms, log)
    events = start_events(trial_id, draft.arms) + findings.events
    ident = protocol.identificationModule
    source_record = {
        "id": log.source_id,
        "kind": "nct",
        "ref": nct,
        "citation": f"{ident.officialTitle or ident.briefTitle or nct} (ClinicalTrials.gov record)",
        "verified": True,
    }
    if log.problems:
        return None
    if draft.unmatched:
        log.note(
            f"left out {nct} ({log.label}): {draft.unmatched}; add the therapy (or an "
            "alias for it) and import the file again to bring it in"
        )
        return None
    try:
        trial = Trial.model_validate(draft.record | findings.record())
        source = Source.model_validate(source_record)
    except ValidationError as error:
        log.problems += describe_validation_error(error, f"{log.where}: {log.record}")
        return None
    return trial, source, events


def report(errors: list[ErrorDetails], log: StudyLog) -> None:
    for line in describe_validation_error(errors, f"{log.where}: {log.record}", brackets=True):
        log.add(line)
