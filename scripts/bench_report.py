"""Benchmark `formkit report` without PDF: 52 minutes + the report + the decision.

Prints the seconds of each stage of `render_documents` (consolidation, contexts with their
charts, rendering, writing) and, as a baseline measured in the same run, the 52 minutes rendered
the naive way: a new docxtpl template opened from its file for every unit (docxtpl re-reads the
file and recompiles its Jinja source on every render), against one `PreparedTemplate` read and
compiled once. Target: the whole command under 5 s.

Run: python scripts/bench_report.py [WORKSPACE]   (without one, the demo campaign is built first
in a temporary folder, which takes about half a minute and is not timed)
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from docxtpl import DocxTemplate

from formkit.consolidate import consolidate
from formkit.demo import run_demo
from formkit.documents.common import document_dates
from formkit.documents.context import build_contexts
from formkit.documents.render import render_documents
from formkit.documents.template import PreparedTemplate, find_template
from formkit.workspace import open_workspace


def timed(action):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def naive(path: Path, contexts: dict[str, dict]) -> list[bytes]:
    """docxtpl as its documentation shows it: open the template file for every document."""
    out = []
    for context in contexts.values():
        template = DocxTemplate(path)
        template.render(context, autoescape=True)
        buffer = io.BytesIO()
        template.save(buffer)
        out.append(buffer.getvalue())
    return out


def main(root: Path) -> None:
    workspace = open_workspace(root)
    results, t_consolidate = timed(lambda: consolidate(workspace, allow_incomplete=True))
    contexts, t_contexts = timed(lambda: build_contexts(workspace, results))
    dates = document_dates(workspace.settings)
    path = find_template(workspace, "minutes")
    _, t_naive = timed(lambda: naive(path, contexts.minutes))
    prepared = PreparedTemplate(path)
    _, t_prepared = timed(lambda: [prepared.render(c, dates["minutes"]) for c in contexts.minutes.values()])
    _, t_report = timed(lambda: PreparedTemplate(find_template(workspace, "report")).render(
        contexts.report, dates["report"]))
    _, t_decision = timed(lambda: PreparedTemplate(find_template(workspace, "decision")).render(
        contexts.decision, dates["decision"]))
    documents, t_total = timed(lambda: render_documents(workspace, allow_incomplete=True))
    n = len(contexts.minutes)
    print(f"workspace {root}: {n} minutes + report + decision ({len(documents.documents)} files)")
    print(f"consolidation:                    {t_consolidate:6.2f} s")
    print(f"contexts (with 4-6 charts):       {t_contexts:6.2f} s")
    print(f"{n} minutes, naive docxtpl:        {t_naive:6.2f} s  (baseline, "
          f"{1000 * t_naive / n:.0f} ms each)")
    print(f"{n} minutes, prepared template:    {t_prepared:6.2f} s  ({t_prepared / t_naive:.2f} x the "
          f"baseline; deterministic bytes included)")
    print(f"report:                           {t_report:6.2f} s")
    print(f"decision:                         {t_decision:6.2f} s")
    print(f"render_documents (all, written):  {t_total:6.2f} s  (target < 5 s)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
            run_demo(Path(folder) / "demo")
            main(Path(folder) / "demo")
