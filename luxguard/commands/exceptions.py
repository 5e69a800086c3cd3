"""`luxguard approvals` and `luxguard waivers`: inspect and validate exception files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from luxguard.pipeline import Settings
from luxguard.commands.common import EXIT_OK


def _status(today: Any, start: Any, end: Any) -> str:
    from luxguard.policy.exceptions import EXPIRY_WARNING_DAYS

    if start is not None and today < start:
        return f"not yet (from {start})"
    if today > end:
        return "expired"
    return "expiring" if (end - today).days <= EXPIRY_WARNING_DAYS else "active"


@click.group()
def approvals() -> None:
    """Customers' prior written approvals of transfers outside the pinned country."""


@approvals.command("list")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge validity on this date.")
def approvals_list(file: Path, as_of: Any) -> int:
    """One line per approval: id, status, customer, destinations, categories, validity."""
    from datetime import date

    from luxguard.policy.exceptions import load_approvals

    today = as_of.date() if as_of else date.today()
    for a in sorted(load_approvals(file), key=lambda a: a.id):
        where = ",".join(sorted(a.countries | a.regions))
        click.echo(f"{a.id}  {_status(today, a.granted, a.expires):<22}  {a.customer}  -> {where}  "
                   f"[{'+'.join(sorted(a.data_categories))}]  {a.granted}..{a.expires}  {a.document}")
    return EXIT_OK


@approvals.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def approvals_validate(file: Path) -> int:
    """Validate an approvals file against its schema."""
    from luxguard.policy.exceptions import load_approvals

    click.echo(f"{len(load_approvals(file))} approvals valid")
    return EXIT_OK


@click.group()
def waivers() -> None:
    """Reviewed, expiring exceptions to non-residency rules."""


@waivers.command("list")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge validity on this date.")
def waivers_list(file: Path, as_of: Any) -> int:
    """One line per waiver: id, status, rule, resource pattern, owner, expiry, reason."""
    from datetime import date

    from luxguard.policy.exceptions import load_waivers

    today = as_of.date() if as_of else date.today()
    for w in sorted(load_waivers(file, Settings().rules()), key=lambda w: w.id):
        click.echo(f"{w.id}  {_status(today, None, w.expires):<9}  {w.rule}  {w.resource}  {w.owner}  "
                   f"until {w.expires}  {w.reason}")
    return EXIT_OK


@waivers.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def waivers_validate(file: Path) -> int:
    """Validate a waivers file against its schema and the rule catalogue."""
    from luxguard.policy.exceptions import load_waivers

    click.echo(f"{len(load_waivers(file, Settings().rules()))} waivers valid")
    return EXIT_OK


COMMANDS = [approvals, waivers]
