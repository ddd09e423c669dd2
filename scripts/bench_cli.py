"""How fast the command line starts: `formkit --help` and `formkit status` against importing click.

    python scripts/bench_cli.py [--rounds 7]

Each command runs in a fresh Python process, as a clerk's shell runs it; the baseline, a process
that only imports click, is timed in the same rounds, alternating, and the fastest of each is kept
(the machine's noise only ever adds time). Target (issue 12): at most 4x the baseline.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 4.0


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "cchc"
        subprocess.run([python, "-m", "formkit", "init", str(workspace)], check=True,
                       stdout=subprocess.DEVNULL)
        commands = {"import click (baseline)": [python, "-c", "import click"],
                    "formkit --help": [python, "-m", "formkit", "--help"],
                    "formkit status DIR": [python, "-m", "formkit", "status", str(workspace)]}
        best = {name: float("inf") for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                best[name] = min(best[name], timed(command))
    baseline = best["import click (baseline)"]
    worst = 0.0
    for name, seconds in best.items():
        ratio = seconds / baseline
        if name != "import click (baseline)":
            worst = max(worst, ratio)
        print(f"{name:<26} {seconds * 1000:7.0f} ms  {ratio:5.2f}x")
    print(f"slowest command: {worst:.2f}x the baseline (target at most {TARGET:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
