"""luxguard's command line: parses arguments and calls into the stages; no logic of its own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Optional

import click

from luxguard import __version__
from luxguard.errors import LuxguardError
from luxguard.model import SEVERITIES
from luxguard.outputs import Report, render, write_atomically
from luxguard.pipeline import Settings, check_capture, load_capture

FORMATS = ("text", "json", "sarif", "junit")
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def common_options(fn: Callable) -> Callable:
    """Options every evaluating command takes (interface.md)."""
    options = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="Output format."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the report to FILE instead of stdout."),
        click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
                     help="Exit 1 when a failing finding is at or above this severity."),
        click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path),
                     help="Extra rule folder (repeatable)."),
        click.option("--locations", "location_files", multiple=True, type=click.Path(path_type=Path),
                     help="Extra location catalogue file (repeatable)."),
        click.option("--pinned-country", help="ISO country personal data is pinned to (default: LU)."),
        click.option("--approvals", "approvals_file", type=click.Path(path_type=Path),
                     help="Customers' written approvals of transfers (YAML)."),
        click.option("--waivers", "waivers_file", type=click.Path(path_type=Path),
                     help="Reviewed, expiring exceptions to other rules (YAML)."),
        click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
                     help="Judge approvals and waivers as of this date (default: today)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_settings(rule_dirs: tuple[Path, ...] = (), location_files: tuple[Path, ...] = (),
                  pinned_country: Optional[str] = None, approvals_file: Optional[Path] = None,
                  waivers_file: Optional[Path] = None, as_of: Any = None) -> Settings:
    """Settings from the common options; every input file is validated before any work."""
    settings = Settings(rule_dirs=rule_dirs, location_files=location_files, pinned_country=pinned_country,
                        approvals_file=approvals_file, waivers_file=waivers_file,
                        as_of=as_of.date() if as_of else None)
    settings.validate_inputs()
    return settings


def emit(report: Report, fmt: str, output: Optional[Path], fail_on: str) -> int:
    """Render, write atomically, and turn the findings into the exit code."""
    color = output is None and fmt == "text" and sys.stdout.isatty()
    content = render(report, fmt, color=color)
    if output is not None:
        write_atomically(output, content)
        click.echo(f"wrote {output} ({report.summary()['failed']} failing findings)", err=True)
    else:
        click.echo(content, nl=False)
    return EXIT_FINDINGS if report.failing_at_or_above(fail_on) else EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="luxguard")
def cli() -> None:
    """luxguard: keep personal data in Luxembourg, encrypted, firewalled and access-restricted."""


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--stack", help="Stack whose Pulumi.<stack>.yaml config the program runs with.")
@click.option("--plan", type=click.Path(path_type=Path), help="Read a saved capture instead of running the program.")
@click.option("--save-plan", type=click.Path(dir_okay=False, path_type=Path), help="Write the capture to FILE.")
@common_options
def check(path: Optional[Path], stack: Optional[str], plan: Optional[Path], save_plan: Optional[Path], fmt: str,
          output: Optional[Path], fail_on: str, **shared: Any) -> int:
    """Gate a Pulumi program before deploy: run it under mocks and evaluate every rule."""
    settings = make_settings(**shared)
    capture = load_capture(path, stack, plan)
    if save_plan is not None:
        write_atomically(save_plan, capture.to_json())
    return emit(check_capture(capture, settings), fmt, output, fail_on)


@cli.group()
def rules() -> None:
    """Browse and validate the rule catalogue."""


@rules.command("list")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra rule folder.")
@click.option("--category", type=click.Choice(["residency", "encryption", "access", "retention", "logging", "classification"]))
def rules_list(rule_dirs: tuple[Path, ...], category: Optional[str]) -> int:
    """One line per rule: id, severity, category, title."""
    for rule in Settings(rule_dirs=rule_dirs).rules():
        if category is None or rule.category == category:
            click.echo(f"{rule.id}  {rule.severity:<8}  {rule.category:<14}  {rule.title}")
    return EXIT_OK


@rules.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra rule folder.")
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...]) -> int:
    """Everything about one rule, including the policy clause it enforces."""
    from luxguard.rules import find_rule

    rule = find_rule(Settings(rule_dirs=rule_dirs).rules(), rule_id)
    click.echo(f"{rule.id}: {rule.title}\n"
               f"  category:   {rule.category}\n  severity:   {rule.severity}\n"
               f"  applies to: {', '.join(rule.resource_types)}\n"
               f"  policy:     \"{rule.clause_quote}\" ({rule.clause_section})\n"
               f"  GDPR:       {', '.join(rule.gdpr)}\n  remediation: {rule.remediation}\n"
               f"  repair:     {rule.action['name'] if rule.action else 'manual'}\n  file:       {rule.path}")
    return EXIT_OK


@rules.command("validate")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def rules_validate(directory: Optional[Path]) -> int:
    """Validate a rule folder (default: the built-in catalogue) against the schema and the model."""
    from luxguard.rules import load_rules

    loaded = load_rules([directory], include_builtin=False) if directory else load_rules()
    click.echo(f"{len(loaded)} rules valid")
    return EXIT_OK


def _status(today: Any, start: Any, end: Any) -> str:
    from luxguard.exceptions import EXPIRY_WARNING_DAYS

    if start is not None and today < start:
        return f"not yet (from {start})"
    if today > end:
        return "expired"
    return "expiring" if (end - today).days <= EXPIRY_WARNING_DAYS else "active"


@cli.group()
def approvals() -> None:
    """Customers' prior written approvals of transfers outside the pinned country."""


@approvals.command("list")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge validity on this date.")
def approvals_list(file: Path, as_of: Any) -> int:
    """One line per approval: id, status, customer, destinations, categories, validity."""
    from datetime import date

    from luxguard.exceptions import load_approvals

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
    from luxguard.exceptions import load_approvals

    click.echo(f"{len(load_approvals(file))} approvals valid")
    return EXIT_OK


@cli.group()
def waivers() -> None:
    """Reviewed, expiring exceptions to non-residency rules."""


@waivers.command("list")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Judge validity on this date.")
def waivers_list(file: Path, as_of: Any) -> int:
    """One line per waiver: id, status, rule, resource pattern, owner, expiry, reason."""
    from datetime import date

    from luxguard.exceptions import load_waivers

    today = as_of.date() if as_of else date.today()
    for w in sorted(load_waivers(file, Settings().rules()), key=lambda w: w.id):
        click.echo(f"{w.id}  {_status(today, None, w.expires):<9}  {w.rule}  {w.resource}  {w.owner}  "
                   f"until {w.expires}  {w.reason}")
    return EXIT_OK


@waivers.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def waivers_validate(file: Path) -> int:
    """Validate a waivers file against its schema and the rule catalogue."""
    from luxguard.exceptions import load_waivers

    click.echo(f"{len(load_waivers(file, Settings().rules()))} waivers valid")
    return EXIT_OK


def run(argv: list[str]) -> int:
    """Run the CLI; every failure to run as asked is one line on stderr and exit 2."""
    try:
        result: Any = cli.main(args=argv, prog_name="luxguard", standalone_mode=False)
    except LuxguardError as exc:
        click.echo(f"luxguard: error: {exc}", err=True)
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("luxguard: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"luxguard: error: {exc.format_message()}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("luxguard: interrupted", err=True)
        return 130
    if isinstance(result, int):
        return result
    return EXIT_OK


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
