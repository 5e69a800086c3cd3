"""A table for people, grouped by resource, with totals; colour only on a terminal."""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.table import Table

from luxguard.core.model import Status
from luxguard.sinks.outputs import Report, renderer

STATUS_STYLE = {Status.FAIL: "bold red", Status.PASS: "green", Status.WAIVED: "yellow", Status.ERROR: "magenta"}


@renderer("text")
def render_text(report: Report, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=160, soft_wrap=False)
    shown = [f for f in report.findings if f.status != Status.PASS]
    ordered = sorted(shown, key=lambda f: (f.resource.type, f.resource.id, f.sort_key()))
    for (rtype, rid), group in groupby(ordered, key=lambda f: (f.resource.type, f.resource.id)):
        findings = list(group)
        first = findings[0].resource
        where = f"{first.region or '?'} ({first.properties.get('country') or '??'})"
        table = Table(title=f"{rtype} {rid}  [dim]{where}[/dim]", title_justify="left", show_edge=False, expand=False)
        table.add_column("status", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("message")
        for finding in findings:
            table.add_row(f"[{STATUS_STYLE[finding.status]}]{finding.status.value}[/]", finding.severity,
                          finding.rule_id, finding.message)
        console.print(table)
        console.print()
    for note in report.notes:
        console.print(f"[yellow]warning:[/yellow] {note}")
    s = report.summary()
    verdict = "[bold red]FAIL[/]" if s["failed"] else "[bold green]PASS[/]"
    console.print(f"{verdict}  {s['resources']} resources, {s['failed']} failed, {s['passed']} passed, "
                  f"{s['waived']} waived, {s['errors']} errors ({report.source})")
    return buffer.getvalue()
