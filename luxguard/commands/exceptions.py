"""`luxguard approvals` and `luxguard waivers`: inspect and validate exception files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from luxguard.pipeline import Settings
from luxguard.commands.common import EXIT_FINDINGS, EXIT_OK


def _status(today: Any, start: Any, end: Any) -> str:
    from luxguard.policy.exceptions import EXPIRY_WARNING_DAYS

    if start is not None and today < start:
        return f"not yet (from {start})"
    if today > end:
        return "expired"
    return "expiring" if (end - today).days <= EXPIRY_WARNING_DAYS else "active"


def _in(accounts: frozenset[str]) -> str:
    """The accounts an approval or waiver is limited to, for `list` (nothing when it covers all)."""
    return f"  accounts {','.join(sorted(accounts))}" if accounts else ""


def _today(as_of: Any) -> date:
    return as_of.date() if as_of else date.today()


def _verdict(file: Path, kind: str, entries: list[tuple[str, date]], today: date) -> int:
    """`validate`: a well-formed file whose entries are all in force is valid (exit 0); expired
    entries no longer cover anything, so the file needs attention: each is named and exit is 1."""
    expired = sorted((ident, expires) for ident, expires in entries if expires < today)
    if not expired:
        click.echo(f"{len(entries)} {kind} valid")
        return EXIT_OK
    names = ", ".join(f"{ident} (expired on {expires})" for ident, expires in expired)
    click.echo(f"{file}: {len(entries)} {kind} well-formed, {len(expired)} expired as of {today}: {names}; "
               f"expired {kind} no longer apply: renew or remove them")
    return EXIT_FINDINGS


@click.group()
def approvals() -> None:
    """Customers' prior written approvals of transfers outside the pinned country."""


@approvals.command("list")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge validity on this date.")
def approvals_list(file: Path, as_of: Any) -> int:
    """One line per approval: id, status, customer, destinations, categories, validity."""
    from luxguard.policy.exceptions import load_approvals

    today = _today(as_of)
    for a in sorted(load_approvals(file), key=lambda a: a.id):
        where = ",".join(sorted(a.countries | a.regions))
        click.echo(f"{a.id}  {_status(today, a.granted, a.expires):<22}  {a.customer}  -> {where}  "
                   f"[{'+'.join(sorted(a.data_categories))}]  {a.granted}..{a.expires}  {a.document}{_in(a.accounts)}")
    return EXIT_OK


@approvals.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge expiry on this date (default: today).")
def approvals_validate(file: Path, as_of: Any) -> int:
    """Validate an approvals file against its schema; exit 1 if an approval has expired."""
    from luxguard.policy.exceptions import load_approvals

    loaded = load_approvals(file)
    return _verdict(file, "approvals", [(a.id, a.expires) for a in loaded], _today(as_of))


@click.group()
def waivers() -> None:
    """Reviewed, expiring exceptions to non-residency rules."""


@waivers.command("list")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge validity on this date.")
def waivers_list(file: Path, as_of: Any) -> int:
    """One line per waiver: id, status, rule, resource pattern, owner, expiry, reason."""
    from luxguard.policy.exceptions import load_waivers

    today = _today(as_of)
    for w in sorted(load_waivers(file, Settings().rules()), key=lambda w: w.id):
        click.echo(f"{w.id}  {_status(today, None, w.expires):<9}  {w.rule}  {w.resource}  {w.owner}  "
                   f"until {w.expires}  {w.reason}{_in(w.accounts)}")
    return EXIT_OK


@waivers.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge expiry on this date (default: today).")
def waivers_validate(file: Path, as_of: Any) -> int:
    """Validate a waivers file against its schema and the rule catalogue; exit 1 if a waiver has expired."""
    from luxguard.policy.exceptions import load_waivers

    loaded = load_waivers(file, Settings().rules())
    return _verdict(file, "waivers", [(w.id, w.expires) for w in loaded], _today(as_of))


COMMANDS = [approvals, waivers]
