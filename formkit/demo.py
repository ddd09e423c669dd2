"""`formkit demo`: every stage that exists, run on the shipped Hanoi 2020 example.

Safe to re-run: an existing demo workspace is reused, never re-initialised, so nothing received
or recorded in it is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from formkit.catalog_export import export_catalog_workbook
from formkit.forms import generate_forms
from formkit.mail import send_forms
from formkit.workspace import init_workspace, is_workspace, open_workspace

EXAMPLE = "hanoi-2020"


@dataclass
class DemoResult:
    root: Path
    created: bool
    units: dict[str, int]
    outputs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"workspace": str(self.root), "created": self.created, "units": self.units,
                "outputs": self.outputs}


def run_demo(root: Path | str) -> DemoResult:
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
    with workspace.ledger() as ledger, ledger.transaction():
        ledger.log("demo.run", {"outputs": sorted(outputs), "forms": len(forms)})
    units = {t: len(workspace.sorted_units(t)) for t in workspace.catalogs}
    return DemoResult(root, created, units, outputs)
