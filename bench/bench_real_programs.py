"""Every program of tests/programs/real, checked 20 times: the output must never change.

Usage: python bench/bench_real_programs.py [--runs 20]
Prints, per program, the exit code, the run time and whether all runs gave identical output
(the findings JSON without its timestamp, or the one-line error).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REAL = ROOT / "tests" / "programs" / "real"
EXTRA = {"hangs": ["--timeout", "3"]}


def one_run(program: Path) -> tuple[int, str]:
    import contextlib
    import io

    from cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["check", str(program), "--format", "json", *EXTRA.get(program.name, [])])
    if code == 2:
        return code, err.getvalue().strip()
    report = json.loads(out.getvalue())
    report.pop("started_at", None)
    return code, json.dumps(report, sort_keys=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    unstable = 0
    print(f"{'program':<26} {'exit':>4} {'runs':>4} {'s/run':>6}  identical")
    for program in sorted(p for p in REAL.iterdir() if p.is_dir()):
        started = time.perf_counter()
        outcomes = {one_run(program) for _ in range(args.runs)}
        seconds = (time.perf_counter() - started) / args.runs
        codes = sorted({code for code, _ in outcomes})
        same = len(outcomes) == 1
        unstable += not same
        print(f"{program.name:<26} {'/'.join(map(str, codes)):>4} {args.runs:>4} {seconds:>6.2f}  {'yes' if same else 'NO'}")
    return 1 if unstable else 0


if __name__ == "__main__":
    sys.exit(main())
