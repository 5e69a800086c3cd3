"""How long checkov adds to `luxguard check --with-checkov` for 200 and 1,000 resources.

Usage: python bench/bench_checkov.py [--sizes 200,1000]
Reuses bench_check.py's generated programs; times the plan conversion and the checkov run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_check import write_program  # noqa: E402


def measure(resources: int) -> dict:
    from luxguard.sources.checkov import runner
    from luxguard.sources.checkov.terraform_plan import capture_to_plan
    from luxguard.sources.pulumi_capture import capture_program

    with tempfile.TemporaryDirectory() as folder:
        write_program(Path(folder), resources)
        started = time.perf_counter()
        capture = capture_program(Path(folder), "bench")
        mock_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plan = capture_to_plan(capture)
    convert_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run = runner.check_capture_with_checkov(capture)
    total_seconds = time.perf_counter() - started
    return {"declared": len([r for r in capture.resources if r.custom]), "plan": len(plan.entries),
            "findings": len(run.findings), "failed": sum(1 for f in run.findings if f.status.value == "fail"),
            "mock": mock_seconds, "convert": convert_seconds, "checkov": total_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="200,1000")
    args = parser.parse_args()
    print(f"{'resources':>9} {'plan':>5} {'findings':>8} {'failed':>6} {'mock run s':>10} {'convert s':>9} "
          f"{'checkov adds s':>14}")
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size)
        print(f"{r['declared']:>9} {r['plan']:>5} {r['findings']:>8} {r['failed']:>6} {r['mock']:>10.2f} "
              f"{r['convert']:>9.3f} {r['checkov']:>14.2f}")
    print("checkov adds = convert + write plan + checkov subprocess (cold start ~2 s) + parse")


if __name__ == "__main__":
    main()
