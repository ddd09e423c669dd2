"""Benchmark the consolidation core: 2,000 units x 100 leaves x 10 areas of synthetic data.

Prints the seconds taken by `formkit.consolidate.compute` (exact Decimal/Fraction arithmetic,
ranking on the rounded total and classification bands, as in the example settings) and, as a
baseline measured in the same run, a pandas groupby-sum over the same values as floats.
Target: under 2 s. Run: python scripts/bench_consolidate.py
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from formkit.consolidate import LeafSpec, TreeSpec, UnitInput, compute
from formkit.settings_outputs import Band, RankingSettings

UNITS, LEAVES, AREAS = 2000, 100, 10
RANKING = RankingSettings(bands=tuple(Band(Decimal(m), label) for m, label in (
    (90, "Xuất sắc"), (80, "Tốt"), (65, "Khá"), (50, "Trung bình"), (0, "Yếu"))))


def synthetic() -> tuple[dict[str, TreeSpec], list[UnitInput]]:
    rng = random.Random(6)
    leaves = []
    for i in range(LEAVES):
        area = str(i % AREAS + 1)
        code = f"{area}.{i // AREAS + 1}.1"
        survey = Decimal("0.5") if i % 3 == 0 else Decimal(0)
        leaves.append(LeafSpec(code, area, code.rsplit(".", 1)[0], Decimal(1) + survey,
                               Decimal(1), survey))
    tree = TreeSpec("so", tuple((str(a), f"LV {a}") for a in range(1, AREAS + 1)), tuple(leaves))
    units = []
    for u in range(UNITS):
        appraised = {leaf.code: Decimal(rng.randint(0, 4)) / 4 for leaf in leaves}
        survey = {leaf.code: Fraction(rng.randint(0, 600), 1200) for leaf in leaves if leaf.survey}
        units.append(UnitInput(f"U{u:04d}", f"Đơn vị {u}", "so", True, appraised,
                               dict(appraised), survey))
    return {"so": tree}, units


def main() -> None:
    trees, units = synthetic()
    start = time.perf_counter()
    results = compute(trees, units, ranking=RANKING)
    core = time.perf_counter() - start
    rows = [(u.code, leaf.code.split(".")[0], float(u.appraised[leaf.code])
             + float((u.survey or {}).get(leaf.code) or 0)) for u in units
            for leaf in trees["so"].leaves]
    frame = pd.DataFrame(rows, columns=["unit", "area", "points"])
    start = time.perf_counter()
    by_area = frame.groupby(["unit", "area"], sort=False)["points"].sum()
    totals = by_area.groupby(level=0, sort=False).sum()
    baseline = time.perf_counter() - start
    check = np.array([float(u.total) for u in results.units])
    assert np.allclose(check, totals.to_numpy(), atol=1e-9)
    print(f"{UNITS} units x {LEAVES} leaves x {AREAS} areas")
    print(f"consolidate core (exact): {core:.3f} s (target < 2 s)")
    print(f"baseline pandas groupby-sum (floats, same values): {baseline:.3f} s")


if __name__ == "__main__":
    main()
