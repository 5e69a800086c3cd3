"""`luxguard enforce`: plan the repair of failing findings (dry-run), or apply it with --apply."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from luxguard.core.errors import LuxguardError
from luxguard.core.model import CATEGORIES
from luxguard.sources.live import interactive, progress_reporter
from luxguard.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    cloud_options,
    db_option,
    make_settings,
    private_option,
    settings_options,
    warn,
    write_output,
)

DEFAULT_AUDIT_LOG = Path(".luxguard") / "audit.jsonl"


def enforce_options(fn: Callable) -> Callable:
    options = [
        click.option("--apply", "do_apply", is_flag=True, help="Make the changes (default: print the plan only)."),
        click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a terminal)."),
        click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Only this rule (repeatable)."),
        click.option("--resource", "resource_pattern", metavar="PATTERN",
                     help="Only resources whose id, ARN or name matches this glob."),
        click.option("--category", type=click.Choice(CATEGORIES), help="Only rules of this category."),
        click.option("--kms-key", envvar="LUXGUARD_KMS_KEY",
                     help="ARN of the designated Luxembourg KMS key for S3 default encryption "
                          "(env LUXGUARD_KMS_KEY). Never guessed: without it that repair is not made."),
        click.option("--quarantine", is_flag=True,
                     help="Residency: also deny new writes (s3:PutObject, s3:ReplicateObject) to buckets outside "
                          "the pinned country. Nothing is ever deleted."),
        click.option("--remove-external-grants", is_flag=True,
                     help="Also remove grants to accounts outside the trusted zone that no approval covers "
                          "(by default they are reported with the exact change, never removed). Public grants "
                          "are always removed; approved processors' grants never are."),
        click.option("--findings", "findings_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Plan from a saved findings JSON (scan or drift --format json) instead of scanning."),
        click.option("--actor", help="Who is acting, for the audit log (default $USER@host)."),
        click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path), default=str(DEFAULT_AUDIT_LOG),
                     show_default=True, help="JSON-lines audit log (appended)."),
        db_option("History store for the audit log (default .luxguard/history.db)."),
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                     help="Output format of the plan and results."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the plan/results to FILE instead of stdout."),
        private_option,
        cloud_options,
        settings_options,
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _step(message: str) -> None:
    """One line per action while applying: the run takes seconds per change."""
    click.echo(f"luxguard: enforce: {message}", err=True)


def _confirm_possible(do_apply: bool, yes: bool) -> None:
    if do_apply and not yes and not sys.stdin.isatty():
        raise LuxguardError("--apply without --yes needs a terminal to confirm on (none here, e.g. CI); "
                            "review the dry-run plan, then pass --yes")


@click.command()
@enforce_options
def enforce(do_apply: bool, yes: bool, rule_ids: tuple[str, ...], resource_pattern: str | None,
            category: str | None, kms_key: str | None, quarantine: bool, remove_external_grants: bool,
            findings_file: Path | None,
            actor: str | None, audit_log: Path, endpoint_url: str | None, profile: str | None, regions: str,
            workers: int, db: str | None, fmt: str, output: Path | None, **shared: Any) -> int:
    """Repair failing findings: print the plan (dry-run), or make it with --apply, re-scan and audit.

    Declining the confirmation is not a failure: nothing changed, exit 0."""
    from luxguard.actors.enforcer.session import EnforceRequest, apply_and_verify, prepare

    _confirm_possible(do_apply, yes)
    request = EnforceRequest(rule_ids=rule_ids, resource_pattern=resource_pattern, category=category, kms_key=kms_key,
                             quarantine=quarantine, remove_external_grants=remove_external_grants,
                             findings_file=findings_file, actor=actor, audit_log=audit_log,
                             db=db, endpoint_url=endpoint_url, profile=profile, regions=regions, workers=workers)
    settings = make_settings(**shared)
    with progress_reporter(interactive()) as progress:
        session = prepare(request, settings, warn, progress)

    def show(content: str) -> None:
        if output is not None:
            write_output(output, content)
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(content, nl=False)

    if not do_apply or not session.plan.changes:
        session.results = [] if do_apply else None
        show(session.render(fmt))
        return EXIT_OK
    if not yes:
        click.echo(session.render(fmt), nl=False, err=True)
        if not click.confirm(f"Apply {len(session.plan.runnable())} change(s) to {session.target}?", err=True):
            click.echo("luxguard: enforce: declined; nothing changed", err=True)
            return EXIT_OK
    with progress_reporter(interactive()) as progress:
        apply_and_verify(session, warn, _step, progress)
    show(session.render(fmt))
    return EXIT_OK if session.succeeded else EXIT_FINDINGS


COMMANDS = [enforce]
