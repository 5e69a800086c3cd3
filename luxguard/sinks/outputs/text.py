"""A table for people, grouped by resource, with totals; colour only on a terminal.

Resource names, tags and cloud messages are untrusted: they go in as `rich.text.Text` (never
parsed as markup, so `[/]` or `[link=...]` print literally) after `printable` has made control
characters visible.
"""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.table import Table
from rich.text import Text

from luxguard.core.model import Status
from luxguard.sinks.outputs import Report, renderer
from luxguard.sinks.outputs.escape import printable

STATUS_STYLE = {Status.FAIL: "bold red", Status.PASS: "green", Status.WAIVED: "yellow", Status.ERROR: "magenta"}


def _plain(value: object) -> Text:
    return Text(printable(value))


@renderer("text")
def render_text(report: Report, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=160, soft_wrap=False,
                      emoji=False, highlight=False)
    shown = [f for f in report.findings if f.status != Status.PASS]
    ordered = sorted(shown, key=lambda f: (f.resource.type, f.resource.id, f.sort_key()))
    for (rtype, rid), group in groupby(ordered, key=lambda f: (f.resource.type, f.resource.id)):
        findings = list(group)
        first = findings[0].resource
        where = f"{first.region} ({first.properties.get('country') or '??'})" if first.region else "region unknown"
        declared = f"{first.address}  " if first.address and first.address != rid else ""
        located = f"  {first.source.file}:{first.source.line}" if first.source else ""
        title = Text.assemble(printable(f"{rtype} {rid}"), "  ", (printable(f"{declared}{where}{located}"), "dim"))
        table = Table(title=title, title_justify="left", show_edge=False, expand=False)
        table.add_column("status", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("message")
        for finding in findings:
            table.add_row(Text(finding.status.value, style=STATUS_STYLE[finding.status]), _plain(finding.severity),
                          _plain(finding.rule_id), _plain(finding.message.strip()))
        console.print(table)
        console.print()
    for note in report.notes:
        console.print(Text.assemble(("warning:", "yellow"), " ", printable(note)))
    s = report.summary()
    verdict = (Text("FAIL", style="bold red") if s["failed"] else Text("INCOMPLETE", style="bold magenta")
               if s["errors"] else Text("PASS", style="bold green") if s["resources"]
               else Text("NOTHING EVALUATED", style="bold yellow"))
    console.print(Text.assemble(verdict, f"  {s['resources']} resources, {s['failed']} failed, {s['passed']} passed, "
                                         f"{s['waived']} waived, {s['errors']} errors ({report.source})"))
    return buffer.getvalue()
