"""`formkit demo`: every stage that exists, run on the shipped Hanoi 2020 example.

From the forms to the documents: simulated returns (a few faulty, two missing), survey answers
keyed twice, the council's appraisal, consolidation, then the minutes, report and decision as
Word files (no PDF: the demo must run where LibreOffice is not installed).

Safe to re-run: an existing demo workspace is reused, never re-initialised, so nothing received
or recorded in it is lost.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from formkit.appraisal import collect_appraisals, generate_appraisal_sheets
from formkit.appraisal.simulate import fill_appraisal, read_identities, simulated_appraisal
from formkit.catalog_export import export_catalog_workbook
from formkit.consolidate import consolidate
from formkit.fileio import atomic_write_bytes
from formkit.forms import FormFactory, generate_forms
from formkit.intake.collect import collect
from formkit.intake.current import current_returns
from formkit.mail import send_forms
from formkit.results import write_results
from formkit.simulate import Entry, fill_form, simulated_entries
from formkit.status import campaign_status
from formkit.survey.answers import collect_entries
from formkit.survey.entry import EntryFactory, generate_entry_workbooks
from formkit.survey.entry_simulate import simulate_entry, simulated_keying
from formkit.survey.paper import write_questionnaires
from formkit.survey.status import run_scoring
from formkit.workspace import Workspace, init_workspace, is_workspace, open_workspace

EXAMPLE = "hanoi-2020"
RETURNS_DIR = "demo-returns"  # what the units "sent back", as files in a folder
NOT_RETURNED = ("BDT", "282")  # units that miss the deadline in the demo


@dataclass
class DemoResult:
    root: Path
    created: bool
    units: dict[str, int]
    outputs: dict[str, str] = field(default_factory=dict)
    returns: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"workspace": str(self.root), "created": self.created, "units": self.units,
                "outputs": self.outputs, "returns": self.returns, "missing": self.missing}


def run_demo(root: Path | str) -> DemoResult:
    from formkit.documents.render import write_documents  # imports matplotlib: not on every command

    root = Path(root)
    created = not is_workspace(root)
    if created:
        init_workspace(root, EXAMPLE)
    workspace = open_workspace(root)
    outputs = {"settings": str(root / "campaign.yaml"), "ledger": str(workspace.ledger_path)}
    for unit_type, catalog in workspace.catalogs.items():
        out = workspace.out_dir / "catalogs" / f"{catalog.id}.xlsx"
        export_catalog_workbook(catalog, out)
        outputs[f"catalog_{unit_type}"] = str(out)
    forms = generate_forms(workspace)
    outputs["forms"] = str(workspace.out_dir / "forms")
    send_forms(workspace, dry_run=True)  # .eml files: a demo never e-mails anyone
    outputs["mail"] = str(workspace.out_dir / "mail")
    returns = simulate_returns(workspace)
    outputs["returns"] = str(returns)
    report = collect(workspace, [returns])
    outputs["intake_report"] = str(report.report_path)
    outputs["feedback"] = str(workspace.out_dir / "feedback")
    status = campaign_status(workspace)
    outputs.update(_survey(workspace))
    outputs.update(_appraisal(workspace))
    results = consolidate(workspace, allow_incomplete=True)
    files = write_results(results, workspace.out_dir)
    outputs.update({f"results_{name}": str(path) for name, path in files.items()})
    documents = write_documents(workspace, results)  # Word only: the demo needs no LibreOffice
    outputs.update({"documents_minutes": str(documents.minutes[0].parent),
                    "documents_report": str(documents.report),
                    "documents_decision": str(documents.decision)})
    with workspace.ledger() as ledger, ledger.transaction():
        ledger.log("demo.run", {"outputs": sorted(outputs), "forms": len(forms)})
    units = {t: len(workspace.sorted_units(t)) for t in workspace.catalogs}
    result = DemoResult(root, created, units, outputs)
    result.returns = {"files": len(report.results), **report.counts()}
    result.missing = [u.unit.code for u in status.units if u.missing]
    return result


def simulate_returns(workspace: Workspace) -> Path:
    """Every unit's filled form, as units send them: most fine, a few faulty, two missing."""
    folder = workspace.root / RETURNS_DIR
    factory = FormFactory(workspace)
    for unit in workspace.sorted_units():
        if unit.code in NOT_RETURNED:
            continue
        identity, data = factory.workbook(unit)
        catalog = workspace.catalogs[unit.unit_type]
        entries = simulated_entries(identity, catalog, random.Random(unit.code))
        name = f"{unit.short_name} - tự đánh giá.xlsx"
        fault = FAULTS.get(unit.code)
        if fault == "pdf":
            atomic_write_bytes(folder / f"{unit.short_name} - công văn.pdf", DEMO_PDF)
            continue
        if fault:
            first = identity.inputs[0]
            entries[first] = Entry(**{**entries[first].__dict__, **fault})
        atomic_write_bytes(folder / name, fill_form(data, identity, catalog, entries))
    return folder


FAULTS: dict[str, dict | str] = {
    "006": {"score": Decimal(99)},  # above the maximum
    "SGTVT": {"evidence": "", "explanation": ""},  # a score without evidence or explanation
    "SYT": {"score": "0,5"},  # a number typed as text: read, with a warning
    "275": "pdf",  # the cover letter instead of the workbook
}
DEMO_PDF = b"%PDF-1.4\n% Cong van gui kem bieu tu danh gia\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _survey(workspace: Workspace) -> dict[str, str]:
    """Paper questionnaires, entry workbooks keyed twice (agreeing), collected and scored."""
    write_questionnaires(workspace)
    factory = EntryFactory(workspace)
    folder = workspace.root / SURVEY_RETURNS_DIR
    issued = {entry.form_id: entry for entry in generate_entry_workbooks(workspace)}
    for unit in workspace.sorted_units():
        for identity in factory.identities(unit):
            entry = issued[identity.form_id]
            survey = workspace.surveys[unit.unit_type]
            keyed = simulated_keying(identity, survey, random.Random(f"{unit.code}-{identity.batch}"),
                                     clerk=CLERKS[identity.copy % len(CLERKS)])
            atomic_write_bytes(folder / entry.path.name,
                               simulate_entry(entry.path.read_bytes(), identity, keyed))
    collect_entries(workspace, [folder])
    run = run_scoring(workspace)
    return {"questionnaires": str(workspace.out_dir / "survey" / "paper"),
            "survey_entry": str(folder), **{f"survey_{k}": str(v) for k, v in run.files.items()}}


def _appraisal(workspace: Workspace) -> dict[str, str]:
    """The council's workbooks, filled (a few scores lowered, with reasons) and read back."""
    report = generate_appraisal_sheets(workspace)
    folder = workspace.root / APPRAISAL_RETURNS_DIR
    self_scores = {r.unit: {s.leaf: s.score for s in r.scores} for r in current_returns(workspace)}
    for workbook in report.workbooks:
        data = workbook.path.read_bytes()
        entries = {identity.unit: simulated_appraisal(
                       identity, workspace.catalogs[workbook.unit_type],
                       self_scores.get(identity.unit, {}), random.Random(identity.unit))
                   for identity in read_identities(data)}
        atomic_write_bytes(folder / workbook.path.name, fill_appraisal(data, entries))
    collect_appraisals(workspace, [folder])
    return {"appraisal_sheets": str(workspace.out_dir / "appraisal"),
            "appraisal_returns": str(folder)}


SURVEY_RETURNS_DIR = "demo-survey-entry"  # the clerks' keyed workbooks
APPRAISAL_RETURNS_DIR = "demo-appraisal"  # the council's filled workbooks
CLERKS = ("Nguyễn Thị Lan", "Trần Văn Minh")
