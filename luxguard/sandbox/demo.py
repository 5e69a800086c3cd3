"""The demo's stages: the whole loop on an embedded local cloud, with nothing to configure
(`luxguard demo` only parses its options and calls run_demo).

LOCAL SANDBOX ONLY: the cloud is moto's server on 127.0.0.1 with fake credentials set only
inside this process; the reference stack is "deployed" by luxguard.sandbox.provision (real
deployments use `pulumi up`). Steps: provision the reference stack (stack `local`) and write
its state -> scan (clean) -> drift (none) -> change things by hand -> scan and drift again ->
the enforcer's dry-run plan -> an HTML report. Every step's output lands in --output-dir.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from luxguard.core.errors import LuxguardError
from luxguard.core.model import Finding, Status
from luxguard.core.packaged import reference_stack_dir
from luxguard.pipeline import Settings
from luxguard.sandbox.local_cloud import LU
from luxguard.sandbox.violations import ABROAD, SHADOW_BUCKET, SHADOW_FEED, break_things
from luxguard.sinks.outputs import Report, render, write_atomically

STACK = "local"
HOME = LU
__all__ = ["ABROAD", "SHADOW_BUCKET", "STACK", "reference_program_dir", "run_demo"]


def reference_program_dir() -> Path:
    """The reference stack's project (the checkout root, or the copy a wheel ships)."""
    root = reference_stack_dir()
    if not (root / "Pulumi.yaml").is_file() or not (root / f"Pulumi.{STACK}.yaml").is_file():
        raise LuxguardError(f"{root}: the reference stack (Pulumi.yaml, Pulumi.{STACK}.yaml) is not there; "
                            f"reinstall luxguard or run from a luxguard checkout")
    return root


def _write_json(report: Report, path: Path) -> None:
    write_atomically(path, render(report, "json"))


def _failing(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.status == Status.FAIL]


def _line(finding: Finding) -> str:
    return f"[bold]{finding.severity:<8}[/] {finding.rule_id:<24} {finding.resource.id}: {finding.message}"


def _enforce_plan(endpoint: str, output_dir: Path, history: Path, settings: Settings) -> Path:
    """The enforcer's dry-run plan from the drift findings, written as text; nothing is changed."""
    from luxguard.actors.enforcer.session import EnforceRequest, prepare

    request = EnforceRequest(audit_log=output_dir / "audit.jsonl", findings_file=output_dir / "drift.json",
                             endpoint_url=endpoint, regions=HOME, db=str(history))
    session = prepare(request, settings, lambda _m: None)
    plan_path = output_dir / "enforce-plan.txt"
    write_atomically(plan_path, session.render("text"))
    return plan_path


def _html_report(db: Path, source: str, output: Path, settings: Settings) -> None:
    """The latest `source` run of the demo's history as HTML: with the trend and the timeline, which a
    findings file cannot give."""
    from luxguard.sinks.history import HistoryStore
    from luxguard.sinks.reports import load_history, render_report

    runs = HistoryStore(str(db)).runs(source)
    if not runs:
        raise LuxguardError(f"{db}: no {source} run recorded")
    write_atomically(output, render_report(load_history(str(db), runs[-1].id), settings.rules(), "html"))


def run_demo(output_dir: Path, port: int) -> int:
    """The whole loop on an embedded local cloud (a sandbox; real stacks are deployed with `pulumi up`)."""
    from luxguard.actors.drift import run_drift
    from luxguard.sandbox.fresh import fresh_sqlite
    from luxguard.sandbox.local_cloud import local_cloud
    from luxguard.sandbox.provision import provision_stack
    from luxguard.sinks.history import HistoryStore
    from luxguard.sources.live import ScanOptions, record
    from luxguard.sources.live import scan as run_scan
    from luxguard.sources.state import load_state_file

    started = time.monotonic()
    console = Console(highlight=False)
    output_dir.mkdir(parents=True, exist_ok=True)
    program = reference_program_dir()
    settings = Settings(home_region=HOME)
    summary: dict[str, Any] = {}

    def step(title: str) -> None:
        console.print(f"\n[bold cyan]== {title}[/]  [dim]({time.monotonic() - started:.1f}s)[/]")

    with fresh_sqlite(output_dir / "history.db") as history, local_cloud(port) as endpoint:
        store = HistoryStore(str(history))
        step(f"1. A local sandbox cloud (moto) on {endpoint}, with Luxembourg's region {HOME}")
        console.print("   fake credentials, loopback only; nothing leaves this machine")

        step("2. Provision the reference stack (stack 'local') without the Pulumi engine")
        provisioned = provision_stack(program, STACK, endpoint)
        state_path = provisioned.write_state(output_dir / "state.json")
        provisioned.write_backend(output_dir / "backend")
        made = [r for r in provisioned.capture.resources if r.custom and not r.type.startswith("pulumi:")]
        console.print(f"   created {len(made)} resources; state written to {state_path} "
                      f"(`pulumi stack export` format) and a DIY backend in {output_dir / 'backend'}")
        stack_ids = set(provisioned.ids.values())
        states = [load_state_file(state_path, STACK)]
        scan_options = ScanOptions(endpoint_url=endpoint, regions=HOME)

        step(f"3. Scan the live cloud ({HOME}; buckets of every region) against the rules")
        before, target = run_scan(scan_options, settings, lambda m: console.print(f"   [yellow]warning:[/] {m}"))
        record(store, before, target)
        _write_json(before, output_dir / "scan-before.json")
        stack_failing = [f for f in _failing(before) if f.resource.id in stack_ids]
        other = [f for f in _failing(before) if f.resource.id not in stack_ids]
        console.print(f"   stack resources: [bold green]{len(stack_failing)} failing[/] findings"
                      if not stack_failing else f"   stack resources: [bold red]{len(stack_failing)} failing[/]")
        for finding in stack_failing:
            console.print("   " + _line(finding))
        if other:
            console.print(f"   account defaults outside the stack: {len(other)} failing "
                          f"({', '.join(sorted({f.rule_id for f in other}))}: the default security group, EBS "
                          f"encryption-by-default; not managed by this stack)")
        drift_before, drift_target = run_drift(states, settings, endpoint)
        record(store, drift_before, drift_target)
        _write_json(drift_before, output_dir / "drift-before.json")
        console.print(f"   drift against the state: {len(_failing(drift_before))} findings")

        step("4. Someone changes the cloud by hand")
        for change in break_things(endpoint, provisioned):
            console.print(f"   - {change}")

        step("5. Scan again")
        after, target = run_scan(scan_options, settings, lambda m: console.print(f"   [yellow]warning:[/] {m}"))
        record(store, after, target)
        _write_json(after, output_dir / "scan-after.json")
        for finding in _failing(after):
            if finding.resource.id in stack_ids or finding.resource.id in (SHADOW_BUCKET, SHADOW_FEED) \
                    or finding.resource.type == "AWS::EC2::Image":   # the hand-made public AMI
                console.print("   " + _line(finding))

        step("6. Drift: the stack's state against the live cloud")
        drifted, drift_target = run_drift(states, settings, endpoint)
        record(store, drifted, drift_target)
        _write_json(drifted, output_dir / "drift.json")
        for finding in _failing(drifted):
            console.print("   " + _line(finding) + f"  [dim]{json.dumps(finding.drift, default=str)[:160]}[/]")

        step("7. The enforcer's plan (dry-run: nothing is changed)")
        try:
            plan_path = _enforce_plan(endpoint, output_dir, history, settings)
        except LuxguardError as exc:
            console.print(f"   [yellow]enforcer step skipped[/]: luxguard: error: {escape(str(exc))}")
        else:
            for line in plan_path.read_text(encoding="utf-8").splitlines():
                console.print("   " + line, markup=False)
            summary["enforce_plan"] = str(plan_path)

        step("8. A report for people")
        html = output_dir / "report.html"
        try:
            _html_report(history, "aws", html, settings)   # the run's own history, swapped in at the end
            _html_report(history, "drift", output_dir / "drift-report.html", settings)
        except LuxguardError as exc:
            console.print(f"   [yellow]report step skipped[/]: luxguard: error: {escape(str(exc))}")
        else:
            console.print(f"   wrote {escape(str(html))} (the last scan) and {escape(str(output_dir / 'drift-report.html'))} "
                          f"(the last drift), each with the trend of every run and the timeline; open the latest with "
                          f"`luxguard report --db {escape(str(output_dir / 'history.db'))} --open`")
            summary["report"] = str(html)

        store.engine.dispose()   # the file is renamed into place next

    elapsed = time.monotonic() - started
    summary.update({
        "endpoint": endpoint, "state": str(state_path), "elapsed_seconds": round(elapsed, 1),
        "scan_before": before.summary(), "stack_failing_before": len(stack_failing),
        "drift_before": drift_before.summary(), "scan_after": after.summary(), "drift": drifted.summary(),
    })
    write_atomically(output_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    console.print(f"\n[bold]Done in {elapsed:.1f}s.[/] Everything is in {output_dir}/ (state.json, scan-before.json, "
                  f"drift-before.json, scan-after.json, drift.json, history.db, summary.json); every run starts "
                  f"from scratch: its files, history.db too, replace the previous run's (atomically), never "
                  f"append to them. The local cloud is gone; to try the commands yourself run `luxguard sandbox`; "
                  f"against a real account use `luxguard scan` and `luxguard drift --state FILE`.")
    return 0
