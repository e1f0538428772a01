"""Convert the second reference sheets into curated files in db/, reproducibly.

    uv run python scripts/import_reference.py [--reference DIR] [--db DIR]

Reads `ssc-evidence-trials-2.json` (30 trials and key studies) and `ssc-cases-2.json` (37
published patients) from ../shared/reference and writes one file per trial (db/trials/) and
per case (db/cases/), and appends the sources, therapies and vocabulary entries they need to
db/sources.json, db/therapies.json and db/vocabularies.json (entries this script owns are
replaced in place; nobody else's are touched or reordered). Running it twice changes nothing.

Every fact comes from the sheets. What the sheets leave open stays open: a subtype, a class or
a mechanism the sources do not state is written as not stated; a citation missing its authors,
journal or year says so. The curation below only says how the sheets' words map onto the
app's vocabulary (which arm a figure belongs to, which therapy id a named drug is, which
stored page a figure was read in); each choice is written next to the entry it concerns.

[V] facts are verified; [V2] facts (read only in a secondary source) are verified but cite
the secondary source they were read in and keep their [V2] note; [U] facts are not bundled
as figures (the sheets give none as numbers: an [U] in them marks a gap, said in the text).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
TRIALS_FILE = "ssc-evidence-trials-2.json"
CASES_FILE = "ssc-cases-2.json"

# What kind of page a source's facts were read in (the sheets' own categories).
FORMS = {
    "primary": "primary publication (abstract or full text, as stored)",
    "conference": "conference abstract",
    "secondary": "secondary summary",
    "registry": "registry record",
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def source(sid, kind, ref, citation, form, urls, verified=True):
    """A source record whose citation names what kind of page it is and where it was read."""
    where = f" Read at: {'; '.join(urls)}." if urls else ""
    return {
        "id": sid,
        "kind": kind,
        "ref": ref,
        "citation": f"{citation} [{FORMS[form]}]{where}",
        "verified": verified,
    }


# --------------------------------------------------------------------------------------------
# Therapies the sheets name that db/therapies.json lacked. Class and mechanism are what the
# sheets say; where they say nothing, the record says "not stated" (class "not-stated").
# --------------------------------------------------------------------------------------------

NOT_STATED = "Mechanism not stated in the sources bundled here."

THERAPIES = [
    # id, name, aliases, class, mechanism (from the sheets, or not stated)
    ("pirfenidone", "Pirfenidone", ["PFD"], "not-stated", NOT_STATED),
    ("belimumab", "Belimumab", [], "not-stated", NOT_STATED),
    (
        "tofacitinib",
        "Tofacitinib",
        [],
        "jak-inhibitor",
        "JAK inhibitor (as the case sheet groups it). In a small SSc trial it reduced "
        "interferon-regulated gene expression in skin fibroblasts and keratinocytes (the "
        "trial report's title: 'Tofacitinib blocks IFN-regulated biomarker genes').",
    ),
    (
        "baricitinib",
        "Baricitinib",
        [],
        "jak-inhibitor",
        "JAK inhibitor (as the case sheet groups it); how it acts is not described further.",
    ),
    ("d-penicillamine", "D-penicillamine", ["D-pen"], "not-stated", NOT_STATED),
    ("imatinib", "Imatinib", ["imatinib mesylate"], "not-stated", NOT_STATED),
    (
        "nilotinib",
        "Nilotinib",
        ["Tasigna"],
        "other",
        "Tyrosine kinase inhibitor (as the trial sheet describes it).",
    ),
    (
        "relaxin",
        "Recombinant human relaxin",
        ["relaxin"],
        "not-stated",
        "Recombinant human relaxin given by continuous subcutaneous infusion; how it acts is "
        "not stated in the sources bundled here.",
    ),
    (
        "oral-collagen",
        "Oral bovine type I collagen",
        ["type I collagen"],
        "not-stated",
        "Bovine type I collagen taken by mouth; how it acts is not stated in the sources "
        "bundled here.",
    ),
    ("ivig", "Intravenous immunoglobulin", ["IVIG"], "not-stated", NOT_STATED),
    (
        "fresolimumab",
        "Fresolimumab",
        [],
        "biologic",
        "Antibody to all three TGF-beta isoforms (as the trial sheet describes it).",
    ),
    (
        "romilkimab",
        "Romilkimab",
        ["SAR156597"],
        "biologic",
        "Bispecific IgG4 antibody against IL-4 and IL-13 (as the trial sheet describes it).",
    ),
    (
        "inebilizumab",
        "Inebilizumab",
        ["MEDI-551"],
        "not-stated",
        "Anti-CD19 (as the trial sheet names it); how it acts is not described further.",
    ),
    ("ambrisentan", "Ambrisentan", [], "not-stated", NOT_STATED),
    ("tadalafil", "Tadalafil", [], "not-stated", NOT_STATED),
    (
        "selexipag",
        "Selexipag",
        [],
        "not-stated",
        "Mechanism not stated in the sources bundled here; its adverse events in the GRIPHON "
        "CTD-PAH subgroup were described as the known prostacyclin-type effects.",
    ),
    (
        "treprostinil",
        "Treprostinil (oral)",
        ["treprostinil diethanolamine"],
        "not-stated",
        NOT_STATED,
    ),
    (
        "botulinum-toxin-a",
        "Botulinum toxin A",
        ["onabotulinumtoxin A", "Meditoxin", "BTX-A"],
        "not-stated",
        NOT_STATED,
    ),
    (
        "atorvastatin",
        "Atorvastatin",
        [],
        "not-stated",
        "A statin (the trial report's title speaks of statins); how it acts in Raynaud's "
        "phenomenon is not stated in the sources bundled here.",
    ),
    (
        "losartan",
        "Losartan",
        ["ARB"],
        "angiotensin-receptor-blocker",
        "Angiotensin II type 1 receptor antagonist (angiotensin receptor blocker), not an ACE "
        "inhibitor (as the sheets describe it).",
    ),
    ("prucalopride", "Prucalopride", [], "other", "5-HT4 agonist (as the trial sheet says)."),
    ("octreotide", "Octreotide", [], "not-stated", NOT_STATED),
    (
        "eculizumab",
        "Eculizumab",
        [],
        "not-stated",
        "Anti-C5 (as the case reports name it); how it acts is not described further.",
    ),
    (
        "cd19-car-t",
        "CD19 CAR-T cells",
        ["CAR-T", "CD19.CAR-T"],
        "cell-therapy",
        "Third-generation autologous CD19 CAR-T cell therapy, given after lymphodepletion with "
        "fludarabine and cyclophosphamide (as the case reports describe it).",
    ),
    ("tacrolimus", "Tacrolimus", [], "not-stated", NOT_STATED),
    ("sulfasalazine", "Sulfasalazine", ["SASP"], "not-stated", NOT_STATED),
    ("hydroxychloroquine", "Hydroxychloroquine", [], "not-stated", NOT_STATED),
    ("colchicine", "Colchicine", [], "not-stated", NOT_STATED),
    ("bisphosphonates", "Bisphosphonates", [], "not-stated", NOT_STATED),
    ("clopidogrel", "Clopidogrel", [], "not-stated", NOT_STATED),
    ("fluoxetine", "Fluoxetine", [], "not-stated", NOT_STATED),
    ("lansoprazole", "Lansoprazole", [], "not-stated", NOT_STATED),
    ("inhaled-nitric-oxide", "Inhaled nitric oxide", ["inhaled NO"], "not-stated", NOT_STATED),
    ("rifaximin", "Rifaximin", [], "not-stated", NOT_STATED),
    ("pyridostigmine", "Pyridostigmine", [], "not-stated", NOT_STATED),
    (
        "prokinetics",
        "Prokinetics (erythromycin and metoclopramide)",
        ["erythromycin", "metoclopramide"],
        "not-stated",
        "Named in the case as prokinetics (erythromycin and metoclopramide); mechanism not "
        "stated in the sources bundled here.",
    ),
    (
        "renal-replacement-therapy",
        "Renal replacement therapy (dialysis)",
        ["dialysis", "haemodialysis", "RRT"],
        "procedure-or-supportive",
        "Supportive: dialysis for kidney failure (recorded so a case's course is complete, not "
        "as a disease-modifying therapy).",
    ),
    (
        "blood-transfusion",
        "Blood transfusion",
        ["transfusion"],
        "procedure-or-supportive",
        "Supportive: repeated transfusions for anaemia.",
    ),
    (
        "parenteral-nutrition",
        "Parenteral nutrition",
        ["TPN", "total parenteral nutrition"],
        "procedure-or-supportive",
        "Supportive: parenteral nutrition (as the case reports name it).",
    ),
    (
        "pericardial-aspiration",
        "Pericardial aspiration",
        [],
        "procedure-or-supportive",
        "Procedure: drainage of a pericardial effusion.",
    ),
    (
        "endoscopic-therapy",
        "Endoscopic therapy (sclerotherapy, heater probe)",
        ["sclerotherapy", "heater probe"],
        "procedure-or-supportive",
        "Procedure: endoscopic treatment of bleeding lesions (repeated sclerotherapy or heater "
        "probe in the cases bundled here).",
    ),
    (
        "surgical-decompression",
        "Surgical decompression (laparotomy)",
        ["laparotomy"],
        "procedure-or-supportive",
        "Procedure: exploratory laparotomy with colonic decompression.",
    ),
    (
        "cervical-sympathectomy",
        "Cervical sympathectomy",
        [],
        "procedure-or-supportive",
        "Procedure: surgical sympathectomy.",
    ),
    (
        "home-oxygen",
        "Home oxygen",
        ["oxygen"],
        "procedure-or-supportive",
        "Supportive: oxygen therapy.",
    ),
    (
        "lung-transplant-referral",
        "Referral for lung transplantation",
        ["lung transplant"],
        "procedure-or-supportive",
        "Referral for lung transplantation (a recommendation; whether the patient was "
        "referred or transplanted is not stated).",
    ),
    (
        "conventional-immunosuppression-class",
        "Conventional immunosuppression (class; no drug named)",
        [],
        "immunosuppressant",
        "A therapy class, not a single drug: recorded where a source says only 'conventional "
        "immunosuppressive therapy' without naming the agents.",
    ),
    (
        "dmards-class",
        "DMARDs (class; no drug named)",
        [],
        "immunosuppressant",
        "A therapy class, not a single drug: recorded where a source says only 'multiple "
        "DMARDs' without naming them.",
    ),
    (
        "ras-inhibitors-class",
        "Renin-angiotensin pathway inhibitors (class; no drug named)",
        ["RAS blockade"],
        "not-stated",
        "A therapy class, not a single drug: recorded where a source says only "
        "'renin-angiotensin pathway inhibitors'; whether an ACE inhibitor, an angiotensin "
        "receptor blocker or both were given is not stated.",
    ),
    (
        "unnamed-prior-therapy",
        "Earlier therapy (not named in the source)",
        [],
        "not-stated",
        "Stands for treatment a case report says was given and failed without naming it; "
        "what it was, and so its mechanism, is not stated.",
    ),
]

# --------------------------------------------------------------------------------------------
# Vocabulary entries the new data needs (appended to db/vocabularies.json).
# --------------------------------------------------------------------------------------------

VOCABULARY = {
    "organs": [
        {
            "id": "calcinosis",
            "label": "Calcinosis",
            "short": "Calcinosis",
            "aliases": ["calcinosis", "calcinosis cutis", "calcification"],
            "description": "Calcium deposits in or under the skin (calcinosis cutis).",
        }
    ],
    "autoantibodies": [
        {
            "id": "anti-pm-scl",
            "label": "Anti-PM-Scl",
            "short": "PM-Scl",
            "aliases": ["pm-scl", "pmscl", "anti-pm-scl"],
            "description": "Anti-PM-Scl, found in an autoimmune overlap with renal "
            "thrombotic microangiopathy in one bundled case (Thomas 2015).",
        }
    ],
    "therapy_classes": [
        {
            "id": "jak-inhibitor",
            "label": "JAK inhibitor",
            "short": "JAKi",
            "aliases": ["jak", "jak inhibitor", "janus kinase inhibitor"],
            "description": "JAK inhibitors (tofacitinib, baricitinib), as the case sheet "
            "groups them.",
        },
        {
            "id": "angiotensin-receptor-blocker",
            "label": "Angiotensin receptor blocker",
            "short": "ARB",
            "aliases": ["arb", "angiotensin receptor blocker", "sartan"],
            "description": "Angiotensin II type 1 receptor antagonists (losartan); not ACE "
            "inhibitors.",
        },
        {
            "id": "procedure-or-supportive",
            "label": "Procedure or supportive care",
            "short": "Proc",
            "aliases": ["procedure", "supportive", "supportive care"],
            "description": "Dialysis, transfusion, parenteral nutrition, drainage, endoscopic "
            "or surgical procedures: recorded so a case's course is complete, not as "
            "disease-modifying therapies.",
        },
        {
            "id": "not-stated",
            "label": "Class not stated",
            "short": "n/s",
            "aliases": ["not stated", "unclassified"],
            "description": "The sources bundled here name no class for this therapy; it is "
            "left unclassified rather than classed from memory.",
        },
    ],
}

# --------------------------------------------------------------------------------------------
# Trials. Per entry: the app's fields the sheet has no field for (acronym, evidence type,
# subtypes, organs, therapies), each reference arm's id and therapy, each outcome's measure
# key, arms and the source it was read in, and the sources (which stored pages belong to
# which publication or record, by their index in the entry's source_urls).
# --------------------------------------------------------------------------------------------

# Outcome keys: m = measure key; arm (one arm) or iv/cv (intervention/comparator arms of a
# comparison); sub = subgroup; fav = the direction favouring the intervention (only on
# numeric estimates, from the sheet's words or the measure's definition); p = primary; src.

TRIALS: dict[str, dict] = {
    "senscis-on": {
        "acronym": "SENSCIS-ON",
        "name": "SENSCIS-ON (open-label, single-group extension of SENSCIS: nintedanib in SSc-ILD)",
        "type": "observational",  # open-label single-group extension: not randomised
        "phase": "3 (open-label extension)",
        "subtypes": [],  # only an lcSSc subgroup is named; the whole population is not typed
        "organs": ["lung"],
        "therapies": ["nintedanib"],
        "arms": [("continued", "nintedanib"), ("initiated", "nintedanib")],
        "outcomes": [
            {"m": "FVC mL", "iv": "continued", "cv": "initiated", "src": "art2025"},
            {"m": "FVC mL", "iv": "continued", "cv": "initiated", "src": "art2025"},
            {
                "m": "FVC mL",
                "iv": "continued",
                "cv": "initiated",
                "sub": "lcSSc (n=183)",
                "src": "lcssc",
            },
        ],
        "sources": {
            "main": (
                "cite-senscis-on-allanore",
                "citation",
                None,
                "Allanore Y et al. Continued treatment with nintedanib in patients with "
                "SSc-ILD: data from SENSCIS-ON. Ann Rheum Dis 81(12):1722 (volume, issue "
                "and page from the URL). Year and DOI not seen; results cut off in the "
                "stored copy",
                "primary",
                [0],
                True,
            ),
            "art2025": (
                "cite-senscis-on-art-2025",
                "citation",
                None,
                "SENSCIS/SENSCIS-ON FVC trajectory analysis, Arthritis Res Ther, "
                "published 21 Mar 2025. Authors not recorded; DOI truncated in the "
                "stored text",
                "primary",
                [1],
                True,
            ),
            "lcssc": (
                "cite-senscis-on-lcssc",
                "citation",
                None,
                "Effects of nintedanib in patients with limited cutaneous systemic "
                "sclerosis and interstitial lung disease (SENSCIS/SENSCIS-ON lcSSc "
                "analysis). Authors, journal and year not recorded",
                "primary",
                [2],
                True,
            ),
            "reg": (
                "nct03313180",
                "nct",
                "NCT03313180",
                "WHO ICTRP record NCT03313180: SENSCIS-ON, open-label single-group phase 3 "
                "extension; first enrolment 27 Nov 2017, target 444",
                "registry",
                [3],
                True,
            ),
        },
    },
    "sls-3": {
        "acronym": "SLS-III",
        "type": "rct",
        "phase": "2",
        "subtypes": [],
        "organs": ["lung"],
        "therapies": ["pirfenidone", "mycophenolate"],
        "arms": [("mmf-pirfenidone", "pirfenidone"), ("mmf-placebo", "mycophenolate")],
        "outcomes": [
            {
                "m": "FVC %pred",
                "iv": "mmf-pirfenidone",
                "cv": "mmf-placebo",
                "fav": "higher",
                "p": True,
                "src": "main",
            },
            {"m": "FVC %pred", "iv": "mmf-pirfenidone", "cv": "mmf-placebo", "src": "main"},
            {
                "m": "PROMIS-29 physical function",
                "iv": "mmf-pirfenidone",
                "cv": "mmf-placebo",
                "src": "main",
            },
        ],
        "sources": {
            # The PMID was read off the catalogue URL, not printed: an unverified identifier.
            "main": (
                "pmid-41294296",
                "pmid",
                "41294296",
                "Scleroderma Lung Study III results (pirfenidone added to mycophenolate), "
                "abstract on the Weill Cornell VIVO record. Authors, journal and year not "
                "seen; PMID taken from the record's URL (pubid41294296) [V2]",
                "primary",
                [0],
                False,
            ),
            "reg": (
                "nct03221257",
                "nct",
                "NCT03221257",
                "ClinicalTrials.gov NCT03221257 (SLS-III) results record (mirrors); 88 "
                "consented, 51 randomised, results posted 15 Dec 2023",
                "registry",
                [1, 2],
                True,
            ),
        },
    },
    "lotuss": {
        "acronym": "LOTUSS",
        "name": "LOTUSS (pirfenidone tolerability in SSc-ILD; open-label, two titration "
        "schedules, no placebo)",
        "type": "rct",  # randomised between two titration schedules of the same drug
        "phase": "2",
        "subtypes": [],
        "organs": ["lung"],
        "therapies": ["pirfenidone"],
        "arms": [("titration-2w", "pirfenidone"), ("titration-4w", "pirfenidone")],
        "outcomes": [
            {"m": "Adverse events", "arm": None, "p": True, "src": "main"},
            {"m": "Adverse events", "iv": "titration-2w", "cv": "titration-4w", "src": "main"},
        ],
        "sources": {
            "main": (
                "cite-khanna-lotuss-2016",
                "citation",
                None,
                "Khanna D et al. (LOTUSS: pirfenidone tolerability in SSc-ILD; article title "
                "not recorded in the sheet). J Rheumatol 2016 "
                "(June 2016 per the SRF news page; volume 43, issue 9, page 1672 from the "
                "journal URL). DOI and PMID not seen",
                "primary",
                [0],
                True,
            ),
            "news": (
                "cite-srf-lotuss-news",
                "citation",
                None,
                "Scleroderma Research Foundation research news item on LOTUSS",
                "secondary",
                [1],
                True,
            ),
            "reg": (
                "nct01933334",
                "nct",
                "NCT01933334",
                "Registry record NCT01933334 (LOTUSS; Genentech; enrolment 63), read in mirrors",
                "registry",
                [2, 3],
                True,
            ),
        },
    },
    "belimumab-mmf-pilot-2017": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["belimumab", "mycophenolate"],
        "arms": [("belimumab-mmf", "belimumab"), ("placebo-mmf", "mycophenolate")],
        "outcomes": [
            {"m": "mRSS", "iv": "belimumab-mmf", "cv": "placebo-mmf", "p": True, "src": "main"},
            {"m": "mRSS", "arm": "belimumab-mmf", "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-29073351",
                "pmid",
                "29073351",
                "Belimumab for the treatment of early diffuse systemic sclerosis: results "
                "of a randomized, double-blind, placebo-controlled, pilot trial (VIVO "
                "record, 29 Dec 2017). Authors and journal not seen; PMID taken from the "
                "record's URL [V2]",
                "primary",
                [0],
                False,
            ),
            "reg": (
                "nct01670565",
                "nct",
                "NCT01670565",
                "Registry record NCT01670565 (belimumab + MMF pilot), read in mirrors; "
                "dosing from the registry",
                "registry",
                [1, 2, 3],
                True,
            ),
        },
    },
    "tofacitinib-khanna-2022": {
        "acronym": None,
        "type": "rct",
        "phase": "1/2",
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["tofacitinib"],
        "arms": [("tofacitinib", "tofacitinib"), ("placebo", None)],
        "arm_notes": {0: "arm size from news reports [V2]", 1: "arm size from news reports [V2]"},
        "outcomes": [
            {"m": "Adverse events", "iv": "tofacitinib", "cv": "placebo", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-35943798",
                "pmid",
                "35943798",
                "Khanna D et al. Tofacitinib blocks IFN-regulated biomarker genes in skin "
                "fibroblasts and keratinocytes in a systemic sclerosis trial. JCI Insight "
                "2022; PMC9536259; DOI 10.1172/jci.insight.159566",
                "primary",
                [0, 1],
                True,
            ),
            "reg": (
                "nct03274076",
                "nct",
                "NCT03274076",
                "Registry record NCT03274076 (tofacitinib in early dcSSc), read in a mirror",
                "registry",
                [2],
                True,
            ),
            "news": (
                "cite-mlo-tofacitinib-news",
                "citation",
                None,
                "MLO news item: 'Tofacitinib shows promise in scleroderma patients' (the "
                "source of the 10 vs 5 arm sizes [V2])",
                "secondary",
                [3],
                True,
            ),
        },
    },
    "dpen-clements-1999": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin", "renal"],
        "therapies": ["d-penicillamine"],
        "arms": [("high-dose", "d-penicillamine"), ("low-dose", "d-penicillamine")],
        "outcomes": [
            {"m": "mRSS", "iv": "high-dose", "cv": "low-dose", "p": True, "src": "main"},
            {"m": "Renal crisis", "iv": "high-dose", "cv": "low-dose", "p": True, "src": "main"},
            {"m": "Deaths", "iv": "high-dose", "cv": "low-dose", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-10366112",
                "pmid",
                "10366112",
                "Clements PJ et al. (high- vs low-dose D-penicillamine in early dcSSc; "
                "article title not recorded in the sheet). Arthritis Rheum "
                "1999;42(6):1194-1203; DOI "
                "10.1002/1529-0131(199906)42:6<1194::AID-ANR16>3.0.CO;2-7",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "imatinib-prey-2012": {
        "acronym": None,
        "type": "rct",
        "phase": "2",
        "subtypes": [],
        "organs": ["skin"],
        "therapies": ["imatinib"],
        "arms": [("imatinib", "imatinib"), ("placebo", None)],
        "outcomes": [
            {"m": "mRSS", "iv": "imatinib", "cv": "placebo", "p": True, "src": "main"},
        ],
        "registry_v2": True,  # the registry record matches the design; no link in the article
        "sources": {
            "main": (
                "doi-10-1111-j-1365-2133-2012-11186-x",
                "doi",
                "10.1111/j.1365-2133.2012.11186.x",
                "Prey S et al. (imatinib for scleroderma skin fibrosis, phase II RCT; article "
                "title not recorded in the sheet). Br J "
                "Dermatol 2012;167(5):1138-44. PMID 23039171 from a catalogue record's "
                "MEDLINE accession [V2]",
                "primary",
                [0, 1],
                True,
            ),
            "reg": (
                "nct00479934",
                "nct",
                "NCT00479934",
                "Registry record NCT00479934 (Bordeaux-led imatinib 400 mg/day vs placebo, "
                "28 enrolled): matches the design, but the article's text read does not "
                "link it [V2]",
                "registry",
                [2],
                False,
            ),
        },
    },
    "relaxin-seibold-2000": {
        "acronym": None,
        "type": "rct",
        "phase": "2",
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["relaxin"],
        "arms": [("relaxin-25", "relaxin"), ("relaxin-100", "relaxin"), ("placebo", None)],
        "outcomes": [
            {"m": "mRSS", "iv": "relaxin-25", "cv": "placebo", "p": True, "src": "main"},
            {"m": "mRSS", "iv": "relaxin-100", "cv": "placebo", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-10836913",
                "pmid",
                "10836913",
                "Seibold JR et al. (recombinant human relaxin in dcSSc, phase II "
                "dose-ranging RCT; article title not recorded in the sheet). Ann "
                "Intern Med 2000;132(11):871-9; DOI 10.7326/0003-4819-132-11-200006060-"
                "00004",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "relaxin-khanna-2009": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin", "lung", "renal"],
        "therapies": ["relaxin"],
        "arms": [("relaxin-10", "relaxin"), ("relaxin-25", "relaxin"), ("placebo", None)],
        "outcomes": [
            {"m": "mRSS", "iv": None, "cv": "placebo", "p": True, "src": "main"},
            {"m": "FVC", "iv": None, "cv": "placebo", "src": "main"},
            {"m": "Serious renal adverse events", "iv": None, "cv": "placebo", "src": "main"},
        ],
        "n_note": "n=231 from registry mirrors, not from the article [V registry]",
        "sources": {
            "main": (
                "pmid-19333948",
                "pmid",
                "19333948",
                "Khanna D et al. (recombinant human relaxin in dcSSc, large confirmatory RCT; "
                "article title not recorded in the sheet). Arthritis Rheum "
                "2009;60(4):1102-11; DOI "
                "10.1002/art.24380",
                "primary",
                [0, 1, 2],
                True,
            ),
            "reg": (
                "nct00704665",
                "nct",
                "NCT00704665",
                "Registry record NCT00704665 (relaxin in dcSSc; sponsor Connetics; 231 "
                "participants), read in mirrors",
                "registry",
                [3, 4],
                True,
            ),
        },
    },
    "oral-collagen-postlethwaite-2008": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["oral-collagen"],
        "arms": [("collagen", "oral-collagen"), ("placebo", None)],
        "arm_notes": {
            0: "arm size from a Nat Clin Pract summary [V2]",
            1: "arm size from a Nat Clin Pract summary [V2]",
        },
        "outcomes": [
            {"m": "mRSS", "iv": "collagen", "cv": "placebo", "p": True, "src": "main"},
            {
                "m": "mRSS",
                "iv": "collagen",
                "cv": "placebo",
                "sub": "late-phase dcSSc (3-10 years, per a Nat Clin Pract summary [V2]), "
                "exploratory",
                "src": "main",
            },
        ],
        "sources": {
            "main": (
                "pmid-18512816",
                "pmid",
                "18512816",
                "Postlethwaite AE et al. A multicenter, randomized, double-blind, "
                "placebo-controlled trial of oral type I collagen treatment in patients "
                "with diffuse cutaneous systemic sclerosis. Arthritis Rheum "
                "2008;58(6):1810-1822; PMC4511098; DOI 10.1002/art.23501. The late-phase "
                "definition (3-10 years) was read in a Nat Clin Pract summary [V2]",
                "primary",
                [0, 1],
                True,
            ),
            "ncp": (
                "cite-ncprheum0872",
                "citation",
                None,
                "Nature Clinical Practice Rheumatology summary of the oral collagen trial "
                "(ncprheum0872): the source of the 83/85 arm sizes, the late-phase "
                "definition and the adverse-event comparison [V2]",
                "secondary",
                [2],
                True,
            ),
            "reg": (
                "nct00005675",
                "nct",
                "NCT00005675",
                "Registry record NCT00005675 (oral type I collagen, NIAMS), read in a mirror",
                "registry",
                [3],
                True,
            ),
        },
    },
    "ivig-takehara-2013": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["ivig"],
        "arms": [("ivig", "ivig"), ("placebo", None)],
        "outcomes": [
            {"m": "mRSS", "iv": "ivig", "cv": "placebo", "p": True, "src": "main"},
            {
                "m": "mRSS",
                "iv": "ivig",
                "cv": "placebo",
                "sub": "re-administration study: non-responders (<5-point improvement) only; "
                "not a full randomised comparison",
                "src": "main",
            },
        ],
        "sources": {
            "main": (
                "pmid-23910617",
                "pmid",
                "23910617",
                "Takehara K, Ihn H, Sato S. Clin Exp Rheumatol 2013;31(2 Suppl 76):151-6 "
                "(IVIG in dcSSc, Japanese RCT with re-administration study)",
                "primary",
                [0],
                True,
            ),
            "eular": (
                "cite-eular-2012-ab0232",
                "citation",
                None,
                "EULAR 2012 abstract AB0232, Ann Rheum Dis 71(Suppl 3):650 (IVIG in "
                "dcSSc: 31 vs 31 analysed, P value of the primary endpoint)",
                "conference",
                [1],
                True,
            ),
        },
    },
    "fresolimumab-rice-2015": {
        "acronym": None,
        "name": "Fresolimumab (anti-TGF-beta) in early dcSSc (open-label biomarker study, "
        "no control group)",
        "type": "observational",  # open-label, two dose groups, no control
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["fresolimumab"],
        "arms": [("fresolimumab-1", "fresolimumab"), ("fresolimumab-5", "fresolimumab")],
        "outcomes": [
            {"m": "Skin THBS1 expression", "arm": None, "p": True, "src": "main"},
            {"m": "mRSS", "arm": None, "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-26098215",
                "pmid",
                "26098215",
                "Rice LM et al. J Clin Invest 2015;125(7):2795-2807; PMC4563675; DOI "
                "10.1172/JCI77958 (fresolimumab in early dcSSc). Registry number cut off "
                "in the stored text",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "romilkimab-allanore-2020": {
        "acronym": None,
        "type": "rct",
        "phase": "2",
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["romilkimab"],
        "arms": [("romilkimab", "romilkimab"), ("placebo", None)],
        "outcomes": [
            {
                "m": "mRSS",
                "iv": "romilkimab",
                "cv": "placebo",
                "fav": "lower",
                "p": True,
                "src": "main",
            },
        ],
        "sources": {
            "main": (
                "doi-10-1136-annrheumdis-2020-218447",
                "doi",
                "10.1136/annrheumdis-2020-218447",
                "Allanore Y et al. A randomised, double-blind, placebo-controlled, 24-week, "
                "phase II, proof-of-concept study of romilkimab (SAR156597) in early "
                "diffuse cutaneous systemic sclerosis. Ann Rheum Dis 79(12):1600 (from the "
                "URL), first online 21 Sep 2020. PMID not seen",
                "primary",
                [0, 1, 2],
                True,
            ),
            "reg": (
                "nct02921971",
                "nct",
                "NCT02921971",
                "Registry record NCT02921971 (romilkimab, Sanofi) results, read in a mirror",
                "registry",
                [3],
                True,
            ),
        },
    },
    "rituximab-daoussis-2017": {
        "acronym": None,
        "type": "observational",  # open-label; allocation method not stated
        "phase": None,
        "subtypes": [],
        "organs": ["lung"],
        "therapies": ["rituximab", "azathioprine", "methotrexate", "mycophenolate"],
        "arms": [("rituximab", "rituximab"), ("conventional", None)],
        "outcomes": [
            {"m": "FVC %pred", "arm": "rituximab", "src": "main"},
        ],
        "sources": {
            "main": (
                "cite-daoussis-2017",
                "citation",
                None,
                "Daoussis D et al. A multicenter, open-label, comparative study of B-cell "
                "depletion therapy with rituximab for systemic sclerosis-associated "
                "interstitial lung disease. Semin Arthritis Rheum 2017;46:625-631 (PDF "
                "header and library record). No registry, PMID or DOI seen",
                "primary",
                [0, 1],
                True,
            ),
        },
    },
    "inebilizumab-medi551-phase1": {
        "acronym": None,
        "type": "rct",
        "phase": "1",
        "subtypes": ["limited", "diffuse"],
        "organs": ["skin"],
        "therapies": ["inebilizumab"],
        "arms": [("medi-551", "inebilizumab"), ("placebo", None)],
        "outcomes": [
            {"m": "Adverse events", "iv": "medi-551", "cv": "placebo", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-27267753",
                "pmid",
                "27267753",
                "Schiopu E et al. Arthritis Res Ther 2016;18(1):131; DOI "
                "10.1186/s13075-016-1021-2 (MEDI-551 in SSc, phase I). Registry number "
                "not seen",
                "primary",
                [0, 1],
                True,
            ),
            "pk": (
                "cite-medi551-cp200-pharmacometric",
                "citation",
                None,
                "Pharmacometric paper describing study CP200 (MEDI-551 dose cohorts 0.1, "
                "0.3, 1.0, 3.0 and 10.0 mg/kg). Authors, journal and year not recorded",
                "primary",
                [2],
                True,
            ),
        },
    },
    "nilotinib-hss-pilot-2015": {
        "acronym": None,
        "name": "Nilotinib in early dcSSc (open-label, single-arm pilot)",
        "type": "observational",  # single arm, no control group
        "phase": None,
        "subtypes": ["diffuse"],
        "organs": ["skin"],
        "therapies": ["nilotinib"],
        "arms": [("nilotinib", "nilotinib")],
        "outcomes": [
            {"m": "mRSS", "arm": "nilotinib", "p": True, "src": "main"},
            {"m": "mRSS", "arm": "nilotinib", "src": "main"},
        ],
        "registry_v2": True,
        "sources": {
            "main": (
                "pmid-26283632",
                "pmid",
                "26283632",
                "(Nilotinib in early dcSSc, open-label pilot; authors and article title not "
                "recorded in the sheet.) Arthritis "
                "Res Ther 2015;17(1):213; DOI 10.1186/s13075-015-0721-3. Authors of the "
                "2015 paper not seen",
                "primary",
                [0, 1],
                True,
            ),
            "acr": (
                "cite-acr-2013-nilotinib",
                "citation",
                None,
                "ACR 2013 abstract: Nilotinib (Tasigna) in the treatment of early diffuse "
                "systemic sclerosis: a single-group, open-label, pilot clinical trial - "
                "one year results (Gordon JK, ..., Spiera RF; Hospital for Special "
                "Surgery)",
                "conference",
                [2],
                True,
            ),
            "reg": (
                "nct01166139",
                "nct",
                "NCT01166139",
                "Registry record NCT01166139 (HSS open-label nilotinib pilot): matches the "
                "design, but the article's text read does not link it [V2]",
                "registry",
                [3],
                False,
            ),
        },
    },
    "tocilizumab-eustar-kuster-2022": {
        "acronym": None,
        "type": "observational",
        "phase": None,
        "subtypes": [],
        "organs": ["skin", "lung"],
        "therapies": ["tocilizumab"],
        "arms": [("tocilizumab", "tocilizumab"), ("standard-care", None)],
        "arm_names": {1: "Standard of care (eligible pool before matching)"},
        "outcomes": [
            {
                "m": "mRSS",
                "iv": "tocilizumab",
                "cv": "standard-care",
                "fav": "lower",
                "p": True,
                "src": "main",
                "n_cv": None,
            },
            {
                "m": "FVC %pred",
                "iv": "tocilizumab",
                "cv": "standard-care",
                "fav": "higher",
                "p": True,
                "src": "main",
                "n_cv": None,
            },
        ],
        "sources": {
            "main": (
                "pmid-36328401",
                "pmid",
                "36328401",
                "Kuster S et al. RMD Open 2022;8(2):e002477; PMC9639158; DOI "
                "10.1136/rmdopen-2022-002477 (tocilizumab in EUSTAR, propensity-matched)",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "ambition-ctd-pah": {
        "acronym": "AMBITION",
        "type": "rct",  # post hoc subgroup of an RCT: the name and design say so
        "phase": None,
        "subtypes": [],
        "organs": ["pah"],
        "therapies": ["ambrisentan", "tadalafil"],
        "arms": [("combination", None), ("monotherapy", None)],  # both drugs vs either alone
        "outcomes": [
            {
                "m": "Clinical failure",
                "iv": "combination",
                "cv": "monotherapy",
                "fav": "lower",
                "sub": "CTD-PAH (n=187)",
                "p": True,
                "src": "main",
            },
            {
                "m": "Clinical failure",
                "iv": "combination",
                "cv": "monotherapy",
                "fav": "lower",
                "sub": "SSc-PAH (n=118)",
                "p": True,
                "src": "main",
            },
            {
                "m": "Clinical failure",
                "iv": "combination",
                "cv": "monotherapy",
                "fav": "lower",
                "sub": "CTD-PAH, modified ITT (n=216), baseline intermediate-risk group",
                "src": "kuwana",
            },
        ],
        "sources": {
            "main": (
                "pmid-28039187",
                "pmid",
                "28039187",
                "Coghlan JG et al. Ann Rheum Dis 2017;76(7):1219-1227; DOI "
                "10.1136/annrheumdis-2016-210236 (AMBITION: CTD-PAH and SSc-PAH, post hoc)",
                "primary",
                [0, 1, 2],
                True,
            ),
            "kuwana": (
                "pmid-32161055",
                "pmid",
                "32161055",
                "Kuwana M et al. Ann Rheum Dis 2020;79(5):626-634; DOI "
                "10.1136/annrheumdis-2019-216274 (AMBITION CTD-PAH, modified ITT post "
                "hoc)",
                "primary",
                [3],
                True,
            ),
            "reg": (
                "nct01178073",
                "nct",
                "NCT01178073",
                "Registry record NCT01178073 (AMBITION; total enrolment 610), read in a mirror",
                "registry",
                [4],
                True,
            ),
        },
    },
    "griphon-ctd-pah": {
        "acronym": "GRIPHON",
        "type": "rct",  # subgroup of an RCT
        "phase": "3",
        "subtypes": [],
        "organs": ["pah"],
        "therapies": ["selexipag"],
        "arms": [("selexipag", "selexipag"), ("placebo", None)],
        "outcomes": [
            {
                "m": "Composite morbidity/mortality",
                "iv": "selexipag",
                "cv": "placebo",
                "fav": "lower",
                "sub": "PAH-CTD (n=334; 170 SSc)",
                "p": True,
                "src": "main",
            },
        ],
        "sources": {
            "main": (
                "pmid-28818881",
                "pmid",
                "28818881",
                "Gaine S et al. Eur Respir J 2017;50(2):1602493; PMC5593379; DOI "
                "10.1183/13993003.02493-2016 (GRIPHON: selexipag in PAH-CTD, subgroup)",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "iloprost-wigley-1994": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": [],
        "organs": ["vascular"],
        "therapies": ["iloprost"],
        "arms": [("iloprost", "iloprost"), ("placebo", None)],
        "outcomes": [
            {"m": "Raynaud attacks", "iv": "iloprost", "cv": "placebo", "p": True, "src": "main"},
            {"m": "Raynaud severity", "iv": "iloprost", "cv": "placebo", "p": True, "src": "main"},
            {"m": "Physician rating", "iv": "iloprost", "cv": "placebo", "p": True, "src": "main"},
            {
                "m": "Digital lesion healing",
                "iv": "iloprost",
                "cv": "placebo",
                "fav": "higher",
                "p": True,
                "src": "main",
            },
        ],
        # The sheet's doi field is marked [U] in its doi_note: not bundled.
        "sources": {
            "main": (
                "pmid-7506013",
                "pmid",
                "7506013",
                "Wigley FM et al. (intravenous iloprost for SSc Raynaud's phenomenon; "
                "article title not recorded in the sheet). Ann Intern Med "
                "1994;120(3):199-206. DOI not seen on a stored page",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "distol-1": {
        "acronym": "DISTOL-1",
        "type": "rct",
        "phase": "2",
        "subtypes": [],
        "organs": ["vascular"],
        "therapies": ["treprostinil"],
        "arms": [("treprostinil", "treprostinil"), ("placebo", None)],
        "outcomes": [
            {"m": "DU burden", "iv": "treprostinil", "cv": "placebo", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "cite-seibold-distol-1",
                "citation",
                None,
                "Seibold JR et al. Digital ulcers in SSc treated with oral treprostinil: a "
                "randomized, double-blind, placebo-controlled study with open-label "
                "follow-up. Journal, year, PMID and DOI not seen",
                "primary",
                [0],
                True,
            ),
            "reg": (
                "nct00775463",
                "nct",
                "NCT00775463",
                "ClinicalTrials.gov NCT00775463 (DISTOL-1, United Therapeutics, "
                "TDE-DU-201; enrolment 148 per registry)",
                "registry",
                [1, 2],
                True,
            ),
            "shah": (
                "doi-10-3899-jrheum-151437",
                "doi",
                "10.3899/jrheum.151437",
                "Shah AA et al. J Rheumatol 2016;43(9):1665-1671 (digital ulcers after "
                "withdrawal of open-label treprostinil)",
                "primary",
                [3],
                True,
            ),
        },
    },
    "botulinum-bello-2017": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": ["limited", "diffuse"],
        "organs": ["vascular"],
        "therapies": ["botulinum-toxin-a"],
        "arms": [("toxin-hand", "botulinum-toxin-a"), ("saline-hand", None)],
        "outcomes": [
            # "unfavourable direction": blood flow fell more in treated hands
            {
                "m": "Hand blood flow",
                "iv": "toxin-hand",
                "cv": "saline-hand",
                "fav": "higher",
                "p": True,
                "src": "main",
            },
        ],
        "registry_v2": True,
        "sources": {
            "main": (
                "pmid-28426903",
                "pmid",
                "28426903",
                "Bello RJ et al. Arthritis Rheumatol 2017;69(8):1661-1669; DOI "
                "10.1002/art.40123 (botulinum toxin A for scleroderma Raynaud's, "
                "within-patient RCT)",
                "primary",
                [0, 1],
                True,
            ),
            "reg": (
                "nct02165111",
                "nct",
                "NCT02165111",
                "Registry record NCT02165111 (Johns Hopkins Bayview, split-hand design, "
                "enrolment 40): matches the design, but the abstract does not link it "
                "[V2]",
                "registry",
                [2, 3],
                False,
            ),
        },
    },
    "tadalafil-schiopu-2009": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": [],
        "organs": ["vascular"],
        "therapies": ["tadalafil"],
        "arms": [("tadalafil", "tadalafil"), ("placebo", None)],
        "outcomes": [
            {"m": "RCS", "iv": "tadalafil", "cv": "placebo", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-19755613",
                "pmid",
                "19755613",
                "Schiopu E et al. J Rheumatol 2009;36(10):2264-2268; DOI "
                "10.3899/jrheum.090270 (tadalafil for SSc Raynaud's, crossover RCT)",
                "primary",
                [0, 1, 2],
                True,
            ),
        },
    },
    "tadalafil-addon-lucknow-2010": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": [],
        "organs": ["vascular"],
        "therapies": ["tadalafil", "calcium-channel-blockers"],
        "arms": [("tadalafil", "tadalafil"), ("placebo", None)],
        "outcomes": [
            {"m": "RCS", "iv": "tadalafil", "cv": "placebo", "p": True, "src": "main"},
            {"m": "Digital ulcer healing", "iv": "tadalafil", "cv": "placebo", "src": "main"},
            {"m": "new DUs", "iv": "tadalafil", "cv": "placebo", "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-20837499",
                "pmid",
                "20837499",
                "Efficacy of tadalafil in secondary Raynaud's phenomenon resistant to "
                "vasodilator therapy: a double-blind randomized cross-over trial. "
                "Rheumatology (Oxford) 2010;49(12):2420-8; DOI "
                "10.1093/rheumatology/keq291. First author not shown in the stored text "
                "(SGPGIMS, Lucknow)",
                "primary",
                [0, 1],
                True,
            ),
            "reg": (
                "nct00626665",
                "nct",
                "NCT00626665",
                "NCT00626665, printed in the abstract copy",
                "primary",
                [0],
                True,
            ),
        },
    },
    "atorvastatin-abouraya-2008": {
        "acronym": None,
        "type": "rct",
        "phase": None,
        "subtypes": [],
        "organs": ["vascular"],
        "therapies": ["atorvastatin"],
        "arms": [("atorvastatin", "atorvastatin"), ("placebo", None)],
        "outcomes": [
            {"m": "new DUs", "iv": "atorvastatin", "cv": "placebo", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-18709692",
                "pmid",
                "18709692",
                "Abou-Raya A, Abou-Raya S, Helmii M. Statins: potentially useful in "
                "therapy of systemic sclerosis-related Raynaud's phenomenon and digital "
                "ulcers. J Rheumatol 2008;35(9):1801-1808. The digital-ulcer figures were "
                "also read in a Reuters Health news summary (cite-reuters-statins-ssc)",
                "primary",
                [0, 1],
                True,
            ),
            "news": (
                "cite-reuters-statins-ssc",
                "citation",
                None,
                "Reuters Health news summary: statins may be useful for systemic sclerosis "
                "manifestations",
                "secondary",
                [2],
                True,
            ),
        },
    },
    "losartan-vs-nifedipine-1999": {
        "acronym": None,
        "name": "Losartan vs nifedipine for primary and SSc-related Raynaud's (randomised pilot)",
        "type": "rct",
        "phase": None,
        "subtypes": [],
        "organs": ["vascular"],
        "therapies": ["losartan", "calcium-channel-blockers"],
        "arms": [("losartan", "losartan"), ("nifedipine", "calcium-channel-blockers")],
        "outcomes": [
            {
                "m": "Raynaud severity",
                "iv": "losartan",
                "cv": "nifedipine",
                "p": True,
                "src": "main",
            },
            {"m": "Raynaud attacks", "arm": "losartan", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-10616013",
                "pmid",
                "10616013",
                "(Losartan vs nifedipine in primary and SSc-related Raynaud's; authors and "
                "article title not recorded in the sheet.) "
                "Arthritis Rheum 1999;42(12):2646-55; DOI "
                "10.1002/1529-0131(199912)42:12<2646::AID-ANR21>3.0.CO;2-T. Authors not "
                "shown in the stored abstract",
                "primary",
                [0],
                True,
            ),
            "ebm": (
                "cite-ebm-raynaud-ccb-losartan",
                "citation",
                None,
                "EBM summary of the Cochrane review of Raynaud's treatments "
                "(calcium-channel blocker vs losartan in 27 SSc patients: no significant "
                "difference [V2])",
                "secondary",
                [1],
                True,
            ),
        },
    },
    "prucalopride-progass-2017": {
        "acronym": "PROGASS",
        "name": "PROGASS: prucalopride for SSc intestinal dysmotility (open-label crossover "
        "vs no treatment)",
        "type": "rct",  # randomised order of periods; open-label, no placebo
        "phase": None,
        "subtypes": [],
        "organs": ["gi"],
        "therapies": ["prucalopride"],
        "arms": [("prucalopride", "prucalopride"), ("no-treatment", None)],
        "outcomes": [
            {
                "m": "UCLA GIT 2.0 constipation",
                "iv": "prucalopride",
                "cv": "no-treatment",
                "p": True,
                "src": "main",
            },
            {
                "m": "UCLA GIT 2.0 reflux",
                "iv": "prucalopride",
                "cv": "no-treatment",
                "p": True,
                "src": "main",
            },
            {
                "m": "UCLA GIT 2.0 distension/bloating",
                "iv": "prucalopride",
                "cv": "no-treatment",
                "p": True,
                "src": "main",
            },
            {
                "m": "Complete intestinal evacuations",
                "iv": "prucalopride",
                "cv": "no-treatment",
                "p": True,
                "src": "main",
            },
        ],
        "sources": {
            "main": (
                "pmid-28633671",
                "pmid",
                "28633671",
                "Vigone B et al. Arthritis Res Ther 2017;19(1):145; DOI "
                "10.1186/s13075-017-1340-y (PROGASS: prucalopride in SSc)",
                "primary",
                [0, 1],
                True,
            ),
            "acr": (
                "cite-acr-2016-progass",
                "citation",
                None,
                "ACR 2016 abstract on PROGASS (types of side-effects leading to withdrawal)",
                "conference",
                [2],
                True,
            ),
        },
    },
    "octreotide-soudah-1991": {
        "acronym": None,
        "name": "Octreotide and small-bowel motility in scleroderma (non-randomised "
        "physiological study)",
        "type": "observational",
        "phase": None,
        "subtypes": [],
        "organs": ["gi"],
        "therapies": ["octreotide"],
        "arms": [("scleroderma", "octreotide"), ("healthy", "octreotide")],
        "outcomes": [
            {"m": "Intestinal migrating complexes", "arm": "scleroderma", "src": "main"},
            {"m": "Intestinal migrating complexes", "arm": "healthy", "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-1944424",
                "pmid",
                "1944424",
                "Soudah HC et al. N Engl J Med 1991;325(21):1461-7; DOI "
                "10.1056/NEJM199111213252102 (octreotide and small-bowel motility in "
                "scleroderma)",
                "primary",
                [0],
                True,
            ),
            "series": (
                "pmid-17551375",
                "pmid",
                "17551375",
                "Later uncontrolled series of 7 SSc patients on octreotide (symptom "
                "score 2.9 to 1.3 at 1 month). Journal not seen",
                "primary",
                [1],
                True,
            ),
        },
    },
    "src-teixeira-2008": {
        "acronym": None,
        "type": "observational",
        "phase": None,
        "subtypes": ["diffuse", "limited", "sine"],
        "organs": ["renal"],
        "therapies": ["glucocorticoids", "ace-inhibitors"],
        "arms": [("all-src", None)],
        # The odds ratios compare "exposed vs unexposed periods (case-crossover)" of the same
        # patients (the outcomes' own words): those periods are the compared arms.
        "extra_arms": [
            {
                "id": "exposed-periods",
                "name": "Periods with corticosteroid exposure (case-crossover)",
                "therapy": "glucocorticoids",
                "intervention": "corticosteroid exposure in the preceding 1 or 3 months",
            },
            {
                "id": "unexposed-periods",
                "name": "Periods without exposure (case-crossover)",
                "intervention": "no corticosteroid exposure in the same window",
            },
        ],
        "outcomes": [
            {"m": "Haemodialysis", "arm": "all-src", "p": True, "src": "main"},
            {
                "m": "Renal crisis after corticosteroids",
                "iv": "exposed-periods",
                "cv": "unexposed-periods",
                "fav": "lower",
                "p": True,
                "src": "main",
            },
            {
                "m": "Renal crisis after corticosteroids",
                "iv": "exposed-periods",
                "cv": "unexposed-periods",
                "fav": "lower",
                "p": True,
                "src": "main",
            },
            {"m": "Dialysis-free survival", "arm": None, "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-17557890",
                "pmid",
                "17557890",
                "Teixeira L, Mouthon L, Mahr A, ..., Guillevin L. (Scleroderma renal crisis "
                "outcomes and corticosteroid exposure, French retrospective cohort; article "
                "title not recorded in the sheet.) Ann Rheum Dis 2008;67(1):110-6",
                "primary",
                [0, 1],
                True,
            ),
        },
    },
    "cardiac-french-cohort-2023": {
        "acronym": None,
        "type": "observational",
        "phase": None,
        "subtypes": [],
        "organs": ["cardiac"],
        "therapies": [],  # a prognosis cohort; no therapy studied
        "arms": [("cardiac", None), ("no-cardiac", None)],
        "outcomes": [
            {"m": "Cardiac involvement", "arm": None, "p": True, "src": "main"},
            {"m": "Cardiac involvement", "arm": None, "p": True, "src": "main"},
            {"m": "LVEF <50%", "arm": None, "src": "main"},
            {"m": "LV diastolic dysfunction", "arm": None, "src": "main"},
            {"m": "Pericarditis", "arm": None, "src": "main"},
            {"m": "Deaths", "iv": "cardiac", "cv": "no-cardiac", "p": True, "src": "main"},
        ],
        "sources": {
            "main": (
                "pmid-37944039",
                "pmid",
                "37944039",
                "Heart and systemic sclerosis - findings from a national cohort study. "
                "Rheumatology (Oxford) 2023; DOI 10.1093/rheumatology/kead599. Authors "
                "not seen",
                "primary",
                [0, 1],
                True,
            ),
        },
    },
}

# The trial names the sheet gives already carry their design label (pilot, open-label,
# post hoc, subgroup, phase I, cohort) except where "name" is set above.

# Trial records need at least one therapy; the cardiac prognosis cohort studies none, so it is
# left out of the trials (its facts stay in the reference sheet), and said so in the report.
SKIP_TRIALS = {"cardiac-french-cohort-2023"}

SCALES = {"hazard ratio": "hazard-ratio", "odds ratio": "odds-ratio"}

# Intervals whose level the sheet's text does not print beside them (the sheet's JSON says 95;
# the source printed "95% CI" once, for the first estimate of a pair, or not at all): stored
# as "level not stated", since no level is assumed.
PAIR = "interval level not printed beside this interval (printed once, for the pair's first)"
LEVEL_NOT_BESIDE = {
    ("tocilizumab-eustar-kuster-2022", 1): PAIR + "; the sheet: 'CI level assumed 95%'",
    ("ambition-ctd-pah", 1): PAIR,
    ("ambition-ctd-pah", 2): "interval level not printed beside this interval in the sheet",
    ("src-teixeira-2008", 2): PAIR,
}

# Arm-level values plotted on the trial's timeline: (trial, outcome index) -> (measure,
# statistic, unit shown). Only a value of one arm, for the arm's whole population, on a
# measure the app knows; the comparator value goes on the comparator arm.
TRIAL_EVENTS = {
    ("senscis-on", 0): ("FVC mL", "change", "mL"),
    ("sls-3", 0): ("FVC %pred", "change", "percentage points"),
    ("dpen-clements-1999", 0): ("mRSS", "change", "mRSS units"),
    ("ivig-takehara-2013", 0): ("mRSS", "change", "mRSS units"),
    ("romilkimab-allanore-2020", 0): ("mRSS", "change", "mRSS units"),
    ("nilotinib-hss-pilot-2015", 0): ("mRSS", "change", "mRSS units"),
    ("nilotinib-hss-pilot-2015", 1): ("mRSS", "change", "mRSS units"),
    ("atorvastatin-abouraya-2008", 0): ("new DUs", "count", "ulcers per patient"),
}


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

# The sheet's therapy slugs that the app names otherwise (the named drug, or a class record).
THERAPY_IDS = {
    "angiotensin-receptor-blocker": "losartan",  # both cases name losartan
    "endothelin-receptor-antagonist": "era-class",  # "agent not named"
    "conventional-immunosuppression-unspecified": "conventional-immunosuppression-class",
    "multiple-dmards-unspecified": "dmards-class",
    "prior-src-management-unspecified": "unnamed-prior-therapy",
    "gi-supportive-care-unspecified": "unnamed-prior-therapy",
    "calcinosis-therapy-unspecified": "unnamed-prior-therapy",
}
# Thomas 2015 says "renin-angiotensin pathway inhibitors" (ACE inhibitor, ARB or both [U]);
# the sheet's draft files it under ace-inhibitors, which would say more than the source.
STEP_THERAPY_IDS = {("case-thomas-2015-pmscl-src-eculizumab", 3): "ras-inhibitors-class"}

# The sheet files anti-PM-Scl under "other" because the app lacked it; the app has it now.
ANTIBODY_IDS = {"case-thomas-2015-pmscl-src-eculizumab": ["anti-pm-scl"]}

# One source per publication (the sheet proposes one per patient record).
CASE_SOURCE_IDS = {
    "src-case-miniati-hsct-after-cyc-patient-1": "cite-miniati-hsct-after-cyc",
    "src-case-miniati-hsct-after-cyc-patient-2": "cite-miniati-hsct-after-cyc",
    "src-case-reumatismo-2025-ahsct-patient-a": "cite-reumatismo-2025-ahsct",
    "src-case-reumatismo-2025-ahsct-patient-b": "cite-reumatismo-2025-ahsct",
    **{
        f"src-case-tcz-ssc-ild-series-patient-{n}": "cite-ard-tcz-ssc-ild-series"
        for n in (1, 2, 5, 7, 9)
    },
}

# The Merkt CD19 CAR-T letter's record holds four pages of three publications; the outcome
# figures come from the 2025 congress abstract (its link to this patient is [V2]).
MERKT_SOURCES = [
    source(
        "pmid-39673062",
        "pmid",
        "39673062",
        "Claus M, Freitag M, Ewald M, Rodon L, Deicher F, Watzl C, Kolb P, Lorenz HM, Schmitt "
        "M, Merkt W. Arthritis Res Ther 2024;26:211; PMC11639114; DOI "
        "10.1186/s13075-024-03451-1 (follow-up of the CD19 CAR-T patient; article title not "
        "recorded in the sheet)",
        "primary",
        ["https://pmc.ncbi.nlm.nih.gov/articles/PMC11639114"],
    ),
]
CASE_EXTRA_SOURCES = {
    "case-merkt-cd19-cart-scl70-ild": ["pmid-39673062", "doi-10-3205-25rhk033"],
}


def case_form(case: dict) -> str:
    design = case["design"]
    if design.startswith("conference abstract"):
        return "conference"
    if all("[V2]" in (s["note"] or "") for s in case["steps"]):
        return "secondary"  # read only as a third-party repost
    return "primary"


def case_source(case: dict, sid: str) -> dict:
    if case["pmid"]:
        kind, ref = "pmid", case["pmid"]
    elif case["doi"]:
        kind, ref = "doi", case["doi"]
    else:
        kind, ref = "citation", None
    citation = case["citation"].rstrip(".")
    extra = [f"PMCID {case['pmcid']}"] if case["pmcid"] else []
    if case["doi"] and kind != "doi":
        extra.append(f"DOI {case['doi']}")
    if extra:
        citation += f" ({'; '.join(extra)})"
    citation += f". Identifiers: {case['id_notes']}"
    verified = not case["id_notes"].startswith("[U]")  # the identifiers were not seen
    urls = case["source_urls"]
    if case["id"] == "case-merkt-cd19-cart-scl70-ild":
        urls = [u for u in urls if "PMC10958299" in u or "101.37" in u]
    return source(sid, kind, ref, citation, case_form(case), urls, verified)


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def tag_of(note: str | None) -> str | None:
    found = re.search(r"\[(V2|V|U)[\],/ ]", note or "")
    return found.group(1) if found else None


def build_trial(entry: dict, cur: dict) -> tuple[dict, list[dict], list[dict]]:
    tid = entry["id"]
    sources = {
        key: source(
            sid, kind, ref, citation, form, [entry["source_urls"][i] for i in idx], verified
        )
        for key, (sid, kind, ref, citation, form, idx, verified) in cur["sources"].items()
    }
    used_urls = {i for spec in cur["sources"].values() for i in spec[5]}
    missing = set(range(len(entry["source_urls"]))) - used_urls
    assert not missing, f"{tid}: source_urls {sorted(missing)} belong to no source"

    arms, arm_ids = [], []
    for index, (ref_arm, (arm_id, therapy)) in enumerate(
        zip(entry["arms"], cur["arms"], strict=True)
    ):
        name = cur.get("arm_names", {}).get(index, ref_arm["name"])
        intervention = ref_arm.get("intervention") or ref_arm["name"]
        note = cur.get("arm_notes", {}).get(index)
        if note:
            intervention = f"{intervention} ({note})"
        arm = {
            "id": arm_id,
            "name": name,
            "therapy": therapy,
            "intervention": intervention,
            "dose": ref_arm.get("dose"),
            "n": ref_arm.get("n"),
        }
        arms.append({k: v for k, v in arm.items() if v is not None})
        arm_ids.append(arm_id)
    for extra in cur.get("extra_arms", []):
        arms.append(dict(extra))
    n_of = {arm["id"]: arm.get("n") for arm in arms}

    findings, events = [], []
    for index, (ref, how) in enumerate(zip(entry["outcomes"], cur["outcomes"], strict=True)):
        tag = tag_of(ref["note"])
        assert tag in ("V", "V2"), f"{tid} outcome {index}: note not tagged [V]/[V2]"
        words = [ref["measure"]]
        if ref["arm"]:
            words.append(f"({ref['arm']})")
        finding = {
            "measure": how["m"],
            "timepoint_weeks": ref["timepoint_weeks"],
            "value": ref["value"],
            "comparator_value": ref["comparator_value"],
            "unit": ref["unit"],
            "effect": ref["effect"],
            "ci": ref["ci"],
            "p": ref["p"],
            "text": " ".join(words),
            "primary": how.get("p", False),
            "source": sources[how["src"]]["id"],
            "verified": True,
            "note": ref["note"],
            "estimate": ref["estimate"],
            "ci_low": ref["ci_low"],
            "ci_high": ref["ci_high"],
            "ci_level": ref["ci_level"],
            "scale": None,
            "subgroup": how.get("sub"),
        }
        if (tid, index) in LEVEL_NOT_BESIDE:
            finding["ci_level"] = None
            finding["text"] += f" - {LEVEL_NOT_BESIDE[(tid, index)]}"
        if ref["scale"] == "ratio":
            finding["scale"] = SCALES[ref["unit"]]
        elif ref["scale"] == "difference":
            finding["scale"] = "difference"
        if "iv" in how:
            finding["intervention_arm"] = how["iv"]
            finding["comparator_arm"] = how["cv"]
            finding["n_intervention"] = n_of.get(how["iv"])
            finding["n_comparator"] = how.get("n_cv", n_of.get(how["cv"]))
        else:
            finding["arm"] = how["arm"]
        if ref["estimate"] is not None:
            finding["favours"] = how.get("fav")
        findings.append({k: v for k, v in finding.items() if v is not None and v is not False})

        plotted = TRIAL_EVENTS.get((tid, index))
        if plotted:
            measure, statistic, unit = plotted
            pairs = [(how.get("arm") or how.get("iv"), ref["value"])]
            if "cv" in how:
                pairs.append((how["cv"], ref["comparator_value"]))
            for arm_id, value in pairs:
                if value is None:
                    continue
                therapy = dict(cur["arms"])[arm_id]
                event = {
                    "id": f"{tid}-{arm_id}-o{index}-w{ref['timepoint_weeks']:g}".replace(".", "p"),
                    "trial": tid,
                    "arm": arm_id,
                    "week": ref["timepoint_weeks"],
                    "kind": "measurement",
                    "therapy": therapy,
                    "measure": measure,
                    "statistic": statistic,
                    "value": value,
                    "unit": unit,
                    "note": f"{ref['measure']} {ref['note']}",
                    "source": finding["source"],
                    "verified": True,
                }
                events.append({k: v for k, v in event.items() if v is not None})

    starts = []
    for arm, (arm_id, therapy) in zip(arms[: len(cur["arms"])], cur["arms"], strict=True):
        event = {
            "id": f"{tid}-{arm_id}-start",
            "trial": tid,
            "arm": arm_id,
            "week": 0,
            "kind": "therapy-start",
            "therapy": therapy,
            "note": f"{arm['intervention']}" + (f", {arm['dose']}" if arm.get("dose") else ""),
        }
        starts.append({k: v for k, v in event.items() if v is not None})

    nct = entry["nct_id"] if not cur.get("registry_v2") else None
    population = entry["population"]
    if cur.get("n_note"):
        population += f" ({cur['n_note']})"
    trial = {
        "id": tid,
        "name": cur.get("name", entry["name"]),
        "acronym": cur["acronym"],
        "registry_id": nct,
        "year": entry["year"],
        "design": entry["design"],
        "evidence_type": cur["type"],
        "phase": cur["phase"],
        "n": entry["n"],
        "population": population,
        "subtypes": cur["subtypes"],
        "organs": cur["organs"],
        "therapies": cur["therapies"],
        "arms": arms,
        "duration_weeks": entry["duration_weeks"],
        "primary_endpoint": entry["primary_endpoint"],
        "results": trial_results(entry),
        "findings": findings,
        "safety": entry["safety"],
        "sources": [s["id"] for s in sources.values()],
        "verified": entry["verified"],
    }
    trial = {k: v for k, v in trial.items() if v is not None}
    return trial, starts + events, list(sources.values())


def trial_results(entry: dict) -> str:
    """The sheet's own summary bullets for the entry (tags kept), without the source lines."""
    text = (REFERENCE / "ssc-evidence-trials-2.md").read_text(encoding="utf-8")
    start = text.index(f"- id `{entry['id']}`")
    block = text[start:].split("\n\n", 1)[0].splitlines()[1:]
    lines = [line.removeprefix("- ") for line in block if not line.startswith("- Sources read")]
    return " ".join(lines) + f" Sources: {entry['source_note']}"


def response_words(step: dict) -> str:
    return (
        f"{step['response']} ({step['response_reason']})"
        if step["response_reason"]
        else (step["response"])
    )


def build_case(case: dict) -> tuple[dict, list[dict]]:
    cid = case["id"]
    draft = case["app_case_draft"]
    steps, events = [], []
    for index, step in enumerate(case["steps"]):
        lead = STEP_THERAPY_IDS.get((cid, step["order"]))
        lead = lead or THERAPY_IDS.get(step["therapy"], step["therapy"])
        regimen = [lead]
        for other in step["concurrent_with"]:
            other = THERAPY_IDS.get(other, other)
            if other not in regimen:
                regimen.append(other)
        parts = [step["therapy_label"]]
        if step["dose"]:
            parts.append(f"dose: {step['dose']}")
        if step["duration"]:
            parts.append(f"duration: {step['duration']}")
        parts.append(f"response: {response_words(step)}")
        if step["note"]:
            parts.append(step["note"])
        note = "; ".join(parts)
        steps.append({"therapies": regimen, "response": step["response"], "note": note})
        week = 2 * index
        order = "(timing not reported; week numbers show order only)"
        events.append(
            {
                "id": f"{cid}-step{step['order']}-start",
                "case": cid,
                "week": week,
                "kind": "therapy-start",
                "therapy": lead,
                "note": f"Step {step['order']}: {step['therapy_label']}"
                + (f" with {', '.join(step['concurrent_with'])}" if step["concurrent_with"] else "")
                + f" {order}",
            }
        )
        events.append(
            {
                "id": f"{cid}-step{step['order']}-response",
                "case": cid,
                "week": week + 1,
                "kind": "response-assessment",
                "therapy": lead,
                "note": f"Step {step['order']} response: {response_words(step)} {order}",
            }
        )
    for index, m in enumerate(case["measurements"]):
        events.append(
            {
                "id": f"{cid}-m{index + 1}",
                "case": cid,
                "week": measurement_week(m["timepoint"], case["steps"]),
                "kind": "measurement",
                "note": f"{m['measure']} {m['value']} {m['unit']} ({m['timepoint']}) {m['note']} "
                "(a case's values are written, not plotted: their timing is not reported)",
            }
        )

    subtype = case["subtype"] or "not-stated"
    autoantibodies = ANTIBODY_IDS.get(cid, case["autoantibodies_app"])
    sources = [CASE_SOURCE_IDS.get(s, s) for s in draft["sources"]]
    sources += [s for s in CASE_EXTRA_SOURCES.get(cid, []) if s not in sources]
    title = case["title"]
    if case["design"].startswith("conference abstract"):
        title += " (conference abstract)"
    elif case_form(case) == "secondary":
        title += " (read in a secondary source)"
    record = {
        "id": cid,
        "title": title,
        "sex": case["sex"],
        "age_band": case["age_band"] if case["age"] is not None else None,
        "subtype": subtype,
        "autoantibodies": autoantibodies,
        "organs": case["organs"],
        "therapies": steps,
        "narrative": case_narrative(case),
        "illustrative": False,
        "evidence_type": "case-report",
        "sources": sources,
    }
    return {k: v for k, v in record.items() if v is not None}, events


def measurement_week(timepoint: str, steps: list[dict]) -> float:
    """Order only: a value "before"/"after" a step sits at that step's start/response."""
    lowered = timepoint.lower()
    for index, step in reversed(list(enumerate(steps))):
        names = {step["therapy"], *re.findall(r"[a-z0-9]+", step["therapy_label"].lower())}
        short = {"tcz": "tocilizumab", "hsct": "hsct", "ahsct": "hsct", "car-t": "cd19-car-t"}
        mentioned = [
            w
            for w in re.findall(r"[a-z0-9-]+", lowered)
            if w in names or (short.get(w) == step["therapy"])
        ]
        if mentioned:
            return 2 * index + (1 if "after" in lowered else 0)
    return 0


def case_narrative(case: dict) -> str:
    design = case["design"][0].upper() + case["design"][1:]
    parts = [f"{design}"]
    if case["series_position"]:
        parts[0] += f", {case['series_position']}"
    parts[0] += f": {case['citation']}"
    who = []
    if case["sex"] != "unknown":
        who.append(case["sex"])
    if case["age"] is not None:
        who.append(f"{case['age']} years")
    elif case["age_band"]:
        who.append(f"age: {case['age_band']}")
    parts.append(f"Patient: {', '.join(who) if who else 'sex and age not stated'}.")
    parts.append(f"Subtype: {case['subtype'] or 'not stated'} - {case['subtype_note']}")
    if case["autoantibodies"]:
        stated = "; ".join(
            f"{'other antibody' if a['name'] == 'other' else a['name']} {a['status']} {a['note']}"
            for a in case["autoantibodies"]
        )
        parts.append(f"Autoantibodies: {stated}.")
    else:
        parts.append(f"Autoantibodies: not stated {case['autoantibody_note'] or ''}".rstrip() + ".")
    parts.append(f"Organs: {case['organ_note']}")
    for step in case["steps"]:
        with_ = f" (with {', '.join(step['concurrent_with'])})" if step["concurrent_with"] else ""
        parts.append(
            f"Step {step['order']}: {step['therapy_label']}{with_} -> {response_words(step)}."
        )
    if case["measurements"]:
        values = "; ".join(
            f"{m['measure']} {m['value']} {m['unit']} ({m['timepoint']}) {m['note']}"
            for m in case["measurements"]
        )
        parts.append(f"Measured values: {values}.")
    parts.append(f"Outcome: {case['outcome']}")
    parts.append(f"Not seen in the sources read: {case['gaps']}")
    if not case["verified"]:
        parts.append(
            "Record incomplete: a fact was read only in a secondary source, or the last "
            "therapy's response or the outcome was not read."
        )
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def merge(path: Path, key: str, new: list[dict], owned: set[str]) -> None:
    """Replace this script's entries in place, append new ones, leave every other alone."""
    data = json.loads(path.read_text(encoding="utf-8"))
    by_id = {entry["id"]: entry for entry in new}
    kept = []
    for entry in data[key]:
        if entry["id"] in by_id:
            kept.append(by_id.pop(entry["id"]))
        elif entry["id"] not in owned:
            kept.append(entry)
    data[key] = kept + list(by_id.values())
    dump(path, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--db", type=Path, default=ROOT / "db")
    args = parser.parse_args()
    trials = json.loads((args.reference / TRIALS_FILE).read_text(encoding="utf-8"))
    cases = json.loads((args.reference / CASES_FILE).read_text(encoding="utf-8"))["cases"]

    existing = json.loads((args.db / "sources.json").read_text(encoding="utf-8"))["sources"]
    existing_ids = {s["id"] for s in existing}

    sources: dict[str, dict] = {}

    def add_source(record: dict) -> None:
        held = sources.get(record["id"])
        assert held is None or held == record, f"source {record['id']} built twice, differently"
        sources[record["id"]] = record

    assert set(TRIALS) == {t["id"] for t in trials}, "every reference trial is curated"
    for entry in trials:
        if entry["id"] in SKIP_TRIALS:
            continue
        trial, events, trial_sources = build_trial(entry, TRIALS[entry["id"]])
        for record in trial_sources:
            add_source(record)
        dump(args.db / "trials" / f"{entry['id']}.json", {"trials": [trial], "events": events})

    for record in MERKT_SOURCES:
        add_source(record)
    for case in cases:
        record, events = build_case(case)
        for sid in case["app_case_draft"]["sources"]:
            add_source(case_source(case, CASE_SOURCE_IDS.get(sid, sid)))
        dump(args.db / "cases" / f"{case['id']}.json", {"cases": [record], "events": events})

    mine_before = _owned_before(existing)
    clash = sorted(set(sources) & (existing_ids - mine_before))
    assert not clash, f"source ids already held by other entries: {clash}"
    owned = mine_before | set(sources)
    merge(args.db / "sources.json", "sources", list(sources.values()), owned)

    therapies = [
        {
            "id": tid,
            "name": name,
            "aliases": aliases,
            "class": cls,
            "mechanism": mechanism,
            "organs": [],
            "sources": [],
        }
        for tid, name, aliases, cls, mechanism in THERAPIES
    ]
    link_therapies(args.db, therapies)
    merge(args.db / "therapies.json", "therapies", therapies, {t["id"] for t in therapies})

    vocab_path = args.db / "vocabularies.json"
    vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    for section, entries in VOCABULARY.items():
        ids = {entry["id"] for entry in entries}
        vocab[section] = [e for e in vocab[section] if e["id"] not in ids] + entries
        order = [e["id"] for e in vocab[section]]
        assert len(order) == len(set(order))
    dump(vocab_path, vocab)


def _owned_before(existing: list[dict]) -> set[str]:
    """Sources an earlier run of this script wrote (their citations say where they were read)."""
    labels = tuple(f"[{form}]" for form in FORMS.values())
    return {s["id"] for s in existing if any(label in s["citation"] for label in labels)}


def link_therapies(db: Path, therapies: list[dict]) -> None:
    """Each new therapy's organs and sources: those of the bundled records that use it."""
    by_id = {t["id"]: t for t in therapies}
    for path in sorted((db / "trials").glob("*.json")) + sorted((db / "cases").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for record in data.get("trials", []):
            used = set(record["therapies"]) | {
                a["therapy"] for a in record["arms"] if "therapy" in a
            }
            _link(by_id, used, record["organs"], record["sources"])
        for record in data.get("cases", []):
            used = {t for step in record["therapies"] for t in step.get("therapies", [])}
            _link(by_id, used, record["organs"], record["sources"])


def _link(by_id: dict, used: set, organs: list[str], sources: list[str]) -> None:
    for therapy_id in used:
        therapy = by_id.get(therapy_id)
        if therapy is None:
            continue
        therapy["organs"] += [o for o in organs if o not in therapy["organs"]]
        therapy["sources"] += [s for s in sources if s not in therapy["sources"]]


if __name__ == "__main__":
    main()
