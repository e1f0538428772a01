"""Trials from ClinicalTrials.gov study records (API v2 JSON): one study, or a page of them.

Each systemic-sclerosis study becomes a Trial (arms matched to our therapies, posted results as
findings), its registry Source, and trial-arm timeline events for the measures we chart. Studies
about other diseases are skipped with a note; every problem in the file is reported at once.

Data model used (API v2 study record; field names as the registry publishes them):
- https://clinicaltrials.gov/data-api/about-api/study-data-structure, as quoted module by module
  in DesayoEm/Clinexa-ETL-ELT-Pipeline documentation/data/non_scalar_fields.md:
  armsInterventionsModule.armGroups[] (label, type, description, interventionNames) and
  .interventions[] (type DRUG/BIOLOGICAL/PROCEDURE/…, name, description, armGroupLabels,
  otherNames); resultsSection.participantFlowModule (groups, periods[].milestones[].achievements
  [].groupId/numSubjects), .outcomeMeasuresModule.outcomeMeasures[] (type, title, description,
  paramType, dispersionType, unitOfMeasure, timeFrame, groups[] {id, title, description}, denoms,
  classes[].categories[].measurements[]), .adverseEventsModule.eventGroups[] (id, title,
  seriousNumAffected, seriousNumAtRisk, deathsNumAffected, deathsNumAtRisk).
- The API's own query schema as reproduced at
  https://glama.ai/mcp/servers/@PancrePal-xiaoyibao/xiaoyibao-clinical-trials-mcp-server/blob/
  e137d1ed398ae0386b67949672d59ed35c9ebb8e/dev/query_schema.json: page {studies, nextPageToken};
  identificationModule (nctId, 11 characters; briefTitle, officialTitle, acronym); statusModule
  (overallStatus enum; startDateStruct/completionDateStruct {date "yyyy", "yyyy-MM" or
  "yyyy-MM-dd", type ACTUAL/ESTIMATED}).
- Phase values EARLY_PHASE1, PHASE1…PHASE4, NA, a study listing several (["PHASE2", "PHASE3"]):
  https://ydulab.com/notebook/sources/08-03__clinicaltrials-landscape/references/api-parameters.md
- Results data elements (outcome type Primary/Secondary/Other Pre-specified/Post-Hoc, arm/group
  titles, measure values per group): ClinicalTrials.gov "Results Data Element Definitions"
  (nlm_result_definitions.html, mirrored in the AACT documentation).
Measurement values, spreads, limits and denominators are strings in v2 ("20.5", "NA"); group ids
look like OG000 (outcomes), BG000 (baseline), FG000 (flow), EG000 (adverse events). In v2,
armGroups[].interventionNames carry the intervention type as a prefix ("Drug: Nintedanib").
Fields we do not read are ignored, so records with fields added later still import.

The package: models.py declares the record as read (lenient pydantic models: every shape
problem located); study.py reads one study; protocol.py builds its trial, results.py its
findings and events (effects.py: analyses as numbers); reading.py holds what they share.
"""

from __future__ import annotations

from sclerotui.importers.registry.protocol import TherapyMatcher
from sclerotui.importers.registry.reading import StudyLog, parse_time_frame
from sclerotui.importers.registry.reading import measure_of as _measure_of
from sclerotui.importers.registry.reading import registry_years as _registry_years
from sclerotui.importers.registry.study import build_study, kind_of
from sclerotui.models import DataError, Dataset, Therapy

__all__ = ["parse_registry", "parse_time_frame", "_measure_of", "_registry_years"]


def parse_registry(
    data: object,
    where: str,
    therapies: list[Therapy],
    trial_ids: dict[str, str] | None = None,
    skip_unmatched: bool = False,
) -> tuple[Dataset, list[str]]:
    """Turn a ClinicalTrials.gov study record or page into trials, sources and arm events.

    Returns the dataset and notes (skipped studies, unknown interventions); raises DataError
    listing every problem of every study, followed by the notes on the others. `trial_ids`:
    the database's trials by registry id; a study one of them records takes that trial's id
    (its record updates that trial, with --replace). `skip_unmatched`: a study none of whose
    interventions is a therapy of the database is left out with a note, not a problem.
    """
    problems: list[str] = []
    notes: list[str] = []
    records: list[tuple[str, object]] = []
    if isinstance(data, dict) and "protocolSection" in data:
        records.append(("study", data))
    elif isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            raise DataError(
                [f"{where}: studies: expected a list of study records, got {kind_of(studies)}"]
            )
        if not studies:
            problems.append(f"{where}: studies: the list is empty; no study to import")
        records += [(f"studies[{index}]", study) for index, study in enumerate(studies)]
        if data.get("nextPageToken"):
            notes.append(
                "the registry page has more studies (nextPageToken is set); only the "
                f"{len(studies)} in this file were read"
            )
    else:
        raise DataError(
            [
                f"{where}: not a ClinicalTrials.gov study record: expected an object with "
                f"'protocolSection' or a page with 'studies', got {kind_of(data)}"
            ]
        )
    matcher = TherapyMatcher(therapies)
    dataset = Dataset()
    seen: dict[str, str] = {}
    for label, study in records:
        log = StudyLog(where, label, problems=[], notes=notes)
        built = build_study(study, log, matcher, trial_ids or {}, skip_unmatched)
        problems += log.problems
        if built is None:
            continue
        trial, source, events = built
        if trial.registry_id in seen:
            problems.append(
                f"{where}: {label} ({trial.registry_id}): the same study as "
                f"{seen[trial.registry_id]}; a file may hold each study once"
            )
            continue
        seen[trial.registry_id] = label
        dataset.trials.append(trial)
        dataset.sources.append(source)
        dataset.events += events
    if problems:
        # What else the file held (studies skipped, interventions unknown) is said too: the
        # user fixes the problems knowing what the import would then bring.
        raise DataError(problems + [f"{where}: note: {note}" for note in notes])
    return dataset, notes
