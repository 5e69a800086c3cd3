"""`luxguard report`: the history store (or a findings JSON file) rendered for people."""

from __future__ import annotations

import os
import tempfile
import webbrowser
from pathlib import Path
from typing import Optional

import click

from luxguard.core.errors import LuxguardError
from luxguard.sinks.reports import FORMATS, load_findings_file, load_history, render_report
from luxguard.core.rules import load_rules
from luxguard.sinks.history import Scope
from luxguard.core.urls import redact_credentials
from luxguard.commands.common import EXIT_OK, db_option, endpoint_option, private_option, write_output


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: one self-contained page; markdown: a PR-comment summary.")
@db_option()
@click.option("--run", "run_id", type=click.IntRange(1), help="Report this stored run (default: the latest).")
@click.option("--findings", "findings_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Report a findings JSON file (luxguard scan|check --format json) instead of the history.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE (atomically) instead of stdout.")
@click.option("--open", "open_browser", is_flag=True,
              help="Open the written report with Python's webbrowser (set BROWSER to choose the browser); "
                   "without --output it is written to a temporary file first.")
@click.option("--account", "accounts", multiple=True, help="Only this account's findings, trend and timeline (repeatable).")
@click.option("--region", "regions", multiple=True, help="Only findings in this region (repeatable).")
@click.option("--ou", "ous", multiple=True,
              help="Only accounts under this organizational unit (repeatable; with --account: either).")
@click.option("--accounts", "accounts_file", type=click.Path(dir_okay=False, path_type=Path),
              help="For --ou: the accounts file whose `parents` place each account (default: ask AWS Organizations).")
@endpoint_option("For --ou without --accounts: the Organizations endpoint.")
@click.option("--profile", help="For --ou without --accounts: AWS profile for Organizations.")
@private_option
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path),
              help="Extra rule folder (repeatable), for the clauses and remediations of custom rules.")
def report(fmt: str, db: Optional[str], run_id: Optional[int], findings_file: Optional[Path],
           output: Optional[Path], open_browser: bool, accounts: tuple[str, ...], regions: tuple[str, ...],
           ous: tuple[str, ...], accounts_file: Optional[Path], endpoint_url: Optional[str], profile: Optional[str],
           rule_dirs: tuple[Path, ...]) -> int:
    """Render the latest stored run (with trend and timeline), or a findings file, for people."""
    if findings_file is not None and (db or run_id is not None):
        raise LuxguardError("--findings reads a file; --db and --run read the history store: give one or the other")
    rules = load_rules(rule_dirs)
    if accounts_file is not None and not ous:
        raise LuxguardError("--accounts FILE places accounts in OUs for --ou: give --ou too")
    if ous:
        from luxguard.sources.org_scan import base_session
        from luxguard.sources.organization import accounts_under

        session = None if accounts_file is not None else base_session(profile)
        accounts = (*accounts, *accounts_under(ous, accounts_file, session, endpoint_url))
    scope = Scope(tuple(sorted(set(accounts))), tuple(sorted(set(regions))))
    data = (load_findings_file(findings_file, scope) if findings_file is not None
            else load_history(db, run_id, scope))
    content = redact_credentials(render_report(data, rules, fmt))
    if open_browser and output is None:
        output = temporary_output(fmt)
    if output is not None:
        write_output(output, content)
        failed = sum(1 for f in data.findings if f["status"] == "fail")
        click.echo(f"wrote {output} ({failed} failing findings)", err=True)
    else:
        click.echo(content, nl=False)
    if open_browser and output is not None:
        open_in_browser(output)
    return EXIT_OK


def temporary_output(fmt: str) -> Path:
    """A new private file for `--open` without `--output` (the browser needs a file to show)."""
    handle, name = tempfile.mkstemp(prefix="luxguard-report-", suffix=".html" if fmt == "html" else ".md")
    os.close(handle)
    return Path(name)


def open_in_browser(path: Path) -> None:
    """Show the written report; a browser that is missing or fails is one error line (the file stays)."""
    try:
        opened = webbrowser.open(path.resolve().as_uri())
    except webbrowser.Error as exc:
        opened, reason = False, str(exc)
    else:
        reason = "no browser found or it failed"
    if not opened:
        raise LuxguardError(f"--open: could not open {path} in a web browser ({reason}); the report is written "
                            f"there; set BROWSER to a browser command")


COMMANDS = [report]
