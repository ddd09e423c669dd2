"""Benchmark: returned files examined per second with every check, against python-calamine.

The baseline is python-calamine (a Rust reader) reading every sheet's cell values of the same
files in the same run. The target (issue 4) is examine on one core within 2x of calamine, with
peak memory that does not grow with the number of files. Calamine and examine are timed in
alternate rounds and the fastest round of each counts: other work on the machine only ever slows
a round down, and it should not decide the ratio.

    python scripts/bench_collect.py [--files 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from formkit.forms import FormFactory, generate_forms
from formkit.intake.collect import collect, intake_context
from formkit.intake.examine import examine
from formkit.simulate import fill_form, simulated_entries
from formkit.workspace import init_workspace, open_workspace


def make_returns(workspace, folder: Path, count: int) -> list[Path]:
    """`count` distinct filled returns (different scores), cycling through the units."""
    folder.mkdir(parents=True)
    factory = FormFactory(workspace)
    units = workspace.sorted_units()
    forms = {unit.code: factory.workbook(unit) for unit in units}
    paths = []
    for n in range(count):
        unit = units[n % len(units)]
        identity, data = forms[unit.code]
        catalog = workspace.catalogs[unit.unit_type]
        entries = simulated_entries(identity, catalog, random.Random(n))
        path = folder / f"{n:05d} {unit.short_name}.xlsx"
        path.write_bytes(fill_form(data, identity, catalog, entries))
        paths.append(path)
    return paths


def calamine_seconds(paths: list[Path]) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    for path in paths:
        book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - start


def examine_seconds(workspace, paths: list[Path]) -> float:
    ctx = intake_context(workspace)
    start = time.perf_counter()
    for path in paths:
        result = examine(path.read_bytes(), path.name, ctx)
        assert result.status == "accepted", [f.describe() for f in result.findings]
    return time.perf_counter() - start


def examine_peak(workspace, paths: list[Path]) -> int:
    ctx = intake_context(workspace)
    tracemalloc.start()
    for path in paths:
        examine(path.read_bytes(), path.name, ctx)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def collect_seconds(template: Path, scratch: Path, folder: Path, jobs: int) -> float:
    root = scratch / f"collect-jobs{jobs}"
    shutil.copytree(template, root)
    workspace = open_workspace(root)
    start = time.perf_counter()
    report = collect(workspace, [folder], jobs=jobs)
    elapsed = time.perf_counter() - start
    assert all(r.status == "accepted" for r in report.results)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="timings of calamine and of examine")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        template = scratch / "workspace"
        init_workspace(template)
        workspace = open_workspace(template)
        generate_forms(workspace)
        paths = make_returns(workspace, scratch / "returns", args.files)
        rounds = [(calamine_seconds(paths), examine_seconds(workspace, paths)) for _ in range(args.rounds)]
        baseline, checks = (min(seconds) for seconds in zip(*rounds, strict=True))
        peaks = {n: examine_peak(workspace, paths[:n]) for n in (100, len(paths))}
        runs = {jobs: collect_seconds(template, scratch, scratch / "returns", jobs)
                for jobs in (1, 2)}
    n = len(paths)
    print(f"files: {n}; calamine and examine: fastest of {args.rounds} rounds")
    print(f"python-calamine, values of every sheet : {n / baseline:8.1f} files/s")
    print(f"formkit examine, all checks (1 core)   : {n / checks:8.1f} files/s   "
          f"ratio to calamine {checks / baseline:.2f} (target <= 2)")
    for jobs, seconds in runs.items():
        print(f"formkit collect --jobs {jobs} (archive, ledger, outputs): {n / seconds:8.1f} files/s   "
              f"ratio to calamine {seconds / baseline:.2f}")
    for count, peak in peaks.items():
        print(f"peak traced memory examining {count:>5} files: {peak / 1e6:6.1f} MB")
    if sys.platform != "win32":
        import resource  # POSIX only

        print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
