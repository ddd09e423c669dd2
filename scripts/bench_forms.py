"""Benchmark: self-assessment forms per second, against a floor measured in the same run.

The floor is re-zipping one generated workbook as many times as there are forms, with the same
compression: no form can be written faster than its own bytes can be deflated. The target (issue
3) is to stay within 3x of that floor with memory that does not grow with the number of forms.

    python scripts/bench_forms.py [--units 2000]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from formkit.forms import FormFactory, generate_forms
from formkit.forms.layout import layout_for, not_applicable_for
from formkit.forms.workbook import TemplateSpec, build_template
from formkit.workspace import init_workspace, open_workspace

FIXED = (1980, 1, 1, 0, 0, 0)


def rezip(workbook: bytes) -> bytes:
    """The floor: read every part of a workbook and deflate it into a new zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, FIXED)
            copy.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(copy, source.read(info))
    return out.getvalue()


def timed(func, *args) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def synthetic_units(source: Path, count: int) -> str:
    """A units file with `count` units: the example's 52, then copies of them under new codes."""
    text = source.read_text(encoding="utf-8")
    lines = [text.rstrip()]
    entries = text.split("  - code: ")[1:]
    for n in range(count - len(entries)):
        entry = entries[n % len(entries)]
        _, rest = entry.split("\n", 1)
        lines.append(f'  - code: "U{n:05d}"\n{rest.rstrip()}')
    return "\n".join(lines) + "\n"


def measure(workspace, label: str) -> dict:
    units = workspace.sorted_units()
    factory = FormFactory(workspace)
    factory.workbook(units[0])  # build the templates outside the timed loop's first unit
    stamp_time = timed(lambda: [factory.workbook(unit) for unit in units])
    sample = factory.workbook(units[0])[1]
    floor_time = timed(lambda: [rezip(sample) for _ in units])
    end_to_end = timed(generate_forms, workspace)
    scratch_units = units[:52]
    scratch_time = timed(lambda: [build_template(TemplateSpec(
        workspace.settings, workspace.catalogs[u.unit_type],
        layout_for(workspace.catalogs[u.unit_type],
                   not_applicable_for(workspace.catalogs[u.unit_type], u.code))))
        for u in scratch_units])
    n = len(units)
    return {"label": label, "forms": n, "stamp_per_s": n / stamp_time,
            "floor_per_s": n / floor_time, "ratio": stamp_time / floor_time,
            "end_to_end_per_s": n / end_to_end, "end_to_end_ratio": end_to_end / floor_time,
            "scratch_ratio": (scratch_time / len(scratch_units)) / (floor_time / n),
            "bytes": len(sample)}


def peak_memory(workspace, count: int) -> int:
    """Peak Python allocation while stamping `count` forms and writing them away one by one."""
    units = workspace.sorted_units()[:count]
    factory = FormFactory(workspace)
    factory.workbook(units[0])
    tracemalloc.start()
    for unit in units:
        factory.workbook(unit)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000, help="synthetic units (default 2000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp) / "example"
        init_workspace(example)
        big = Path(tmp) / "synthetic"
        init_workspace(big)
        units_file = big / "units" / "hanoi.yaml"
        units_file.write_text(synthetic_units(units_file, args.units), encoding="utf-8")
        results = [measure(open_workspace(example), "52 example units"),
                   measure(open_workspace(big), f"{args.units} synthetic units")]
        memory = {n: peak_memory(open_workspace(big), n) for n in (100, args.units)}
    print(f"{'case':<22}{'forms':>7}{'stamp/s':>10}{'floor/s':>10}{'ratio':>8}"
          f"{'e2e/s':>9}{'e2e ratio':>11}{'scratch ratio':>15}")
    for r in results:
        print(f"{r['label']:<22}{r['forms']:>7}{r['stamp_per_s']:>10.1f}{r['floor_per_s']:>10.1f}"
              f"{r['ratio']:>8.2f}{r['end_to_end_per_s']:>9.1f}{r['end_to_end_ratio']:>11.2f}"
              f"{r['scratch_ratio']:>15.2f}")
    print(f"workbook size: {results[0]['bytes']:,} bytes")
    print("ratio = in-memory stamping time / floor time (target <= 3); e2e adds file writes and "
          "the ledger; scratch = one xlsxwriter build per form (the approach avoided)")
    for n, peak in memory.items():
        print(f"peak traced memory while stamping {n:>5} forms: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
