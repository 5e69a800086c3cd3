"""What every command shares: common options, settings from them, and rendering with exit codes."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import click

from luxguard.core.errors import LuxguardError
from luxguard.core.model import SEVERITIES, Finding, Status, severity_rank
from luxguard.core.urls import check_endpoint_url, redact_credentials
from luxguard.sinks.outputs import Report, render, write_atomically
from luxguard.sinks.outputs.escape import printable
from luxguard.pipeline import Settings

FORMATS = ("text", "json", "sarif", "junit")
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
PRIVATE_OUTPUT = "luxguard.private_output"


def _apply(options: list, fn: Callable) -> Callable:
    for option in reversed(options):
        fn = option(fn)
    return fn


def _pinned_country(_ctx: click.Context, _param: click.Parameter, value: Optional[str]) -> Optional[str]:
    from luxguard.core.locations import country_code

    return None if value is None else country_code(value, "--pinned-country")


def settings_options(fn: Callable) -> Callable:
    """What decides the verdicts: rules, locations, pinned country, approvals and waivers."""
    return _apply([
        click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path),
                     help="Extra rule folder (repeatable)."),
        # eager: --regions is checked against the catalogue these files extend, wherever it stands
        click.option("--locations", "location_files", multiple=True, type=click.Path(path_type=Path),
                     is_eager=True, help="Extra location catalogue file (repeatable)."),
        click.option("--pinned-country", callback=_pinned_country,
                     help="ISO 3166-1 alpha-2 country personal data is pinned to (default: LU)."),
        click.option("--approvals", "approvals_file", type=click.Path(path_type=Path),
                     help="Customers' written approvals of transfers (YAML)."),
        click.option("--waivers", "waivers_file", type=click.Path(path_type=Path),
                     help="Reviewed, expiring exceptions to other rules (YAML); waived findings are never repaired."),
        click.option("--trusted-account", "trusted_accounts", multiple=True,
                     help="An AWS account inside the trusted zone besides the scanned one and its organization "
                          "(repeatable); approved processors go in the approvals file instead."),
        click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]),
                     help="Judge approvals and waivers as of this date (default: today)."),
    ], fn)


def _remember_private(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[PRIVATE_OUTPUT] = value


def private_option(fn: Callable) -> Callable:
    """--private: reports hold resource names and findings; some teams want them 0600."""
    return click.option("--private", is_flag=True, expose_value=False, callback=_remember_private,
                        help="Create --output files with mode 0600 (default 0644; an existing file keeps its mode).")(fn)


def write_output(path: Path, content: str) -> None:
    """write_atomically with the mode --private asked for."""
    ctx = click.get_current_context(silent=True)
    write_atomically(path, content, private=bool(ctx and ctx.meta.get(PRIVATE_OUTPUT)))


def _endpoint(_ctx: click.Context, _param: click.Parameter, value: Optional[str]) -> Optional[str]:
    return None if value is None else check_endpoint_url(value)


def endpoint_option(help_text: str = "Cloud API endpoint (e.g. LuxCloud's, or a local cloud).") -> Callable:
    """--endpoint-url, refused before any work unless it is an http(s) URL with a host and numeric port."""
    return click.option("--endpoint-url", callback=_endpoint, envvar="AWS_ENDPOINT_URL", show_envvar=True,
                        help=help_text)


@dataclass(frozen=True)
class Gate:
    """--fail-on and --allow-errors: which findings make a run exit 1. `error` (could not read or
    decide) counts like `fail` unless errors are explicitly allowed: a gate fails closed."""

    severity: str = "low"
    allow_errors: bool = False

    def blocking(self, report: Report) -> list[Finding]:
        statuses = (Status.FAIL,) if self.allow_errors else (Status.FAIL, Status.ERROR)
        floor = severity_rank(self.severity)
        return [f for f in report.findings if f.status in statuses and severity_rank(f.severity) >= floor]


def _gate_option(fn: Callable) -> Callable:
    """Hands the command one `fail_on: Gate` built from --fail-on and --allow-errors."""
    @functools.wraps(fn)
    def wrapper(*args: Any, fail_on: str, allow_errors: bool, **kwargs: Any) -> Any:
        return fn(*args, fail_on=Gate(fail_on, allow_errors), **kwargs)
    return wrapper


def common_options(fn: Callable) -> Callable:
    """Options every evaluating command takes (interface.md)."""
    return _apply([
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="Output format."),
        click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the report to FILE instead of stdout."),
        private_option,
        click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
                     help="Exit 1 when a failing (or undecided: error) finding is at or above this severity."),
        click.option("--allow-errors", is_flag=True,
                     help="Do not fail on `error` findings (what could not be read or decided)."),
        settings_options,
        _gate_option,
    ], fn)


def _regions(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """--regions: 'all' or regions the location catalogue (with --locations files) knows."""
    from luxguard.core.locations import load_locations
    from scanners.regions import check_region_spec

    return check_region_spec(value, load_locations(ctx.params.get("location_files") or ()))


def _db(_ctx: click.Context, _param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """--db PATH must name a file in a folder that exists (a typo must not create folders
    under /); SQLAlchemy URLs (postgresql://..., sqlite:///...) are the store's to judge."""
    if value is None or "://" in value:
        return value
    path = Path(value)
    if path.is_dir():
        raise LuxguardError(f"--db {value}: is a directory; give a file path (e.g. {path / 'history.db'}) or a URL")
    if not path.parent.is_dir():
        raise LuxguardError(f"--db {value}: folder {path.parent} does not exist; create it first, "
                            "or give a SQLAlchemy URL")
    return value


def db_option(help_text: str = "History store: a SQLite path (in an existing folder) or a SQLAlchemy URL "
                               "(default .luxguard/history.db).") -> Callable:
    """--db, checked before any work (see _db)."""
    return click.option("--db", callback=_db, help=help_text)


def cloud_options(fn: Callable) -> Callable:
    """Where the live resources are: endpoint, credentials, regions, parallelism."""
    return _apply([
        endpoint_option(),
        click.option("--profile", help="AWS profile for credentials."),
        click.option("--regions", default="all", show_default=True, callback=_regions,
                     help="'all' (every region enabled for the account, in its partition) or r1,r2 "
                          "(regions of the location catalogue)."),
        click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True,
                     help="Parallel API workers."),
    ], fn)


def warn(message: str) -> None:
    """A warning for the person running the command (stderr, one line)."""
    click.echo(f"luxguard: warning: {one_line(message)}", err=True)


def one_line(message: object) -> str:
    """What reaches stderr: one line, no credentials, no control characters."""
    return printable(redact_credentials(" ".join(str(message).split("\n"))))


def make_settings(rule_dirs: tuple[Path, ...] = (), location_files: tuple[Path, ...] = (),
                  pinned_country: Optional[str] = None, approvals_file: Optional[Path] = None,
                  waivers_file: Optional[Path] = None, as_of: Any = None,
                  trusted_accounts: tuple[str, ...] = ()) -> Settings:
    """Settings from the common options; every input file is validated before any work."""
    bad = [a for a in trusted_accounts if not (len(a) == 12 and a.isdigit())]
    if bad:
        raise LuxguardError(f"--trusted-account {bad[0]!r}: give a 12-digit AWS account id")
    settings = Settings(rule_dirs=rule_dirs, location_files=location_files, pinned_country=pinned_country,
                        approvals_file=approvals_file, waivers_file=waivers_file,
                        as_of=as_of.date() if as_of else None, trusted_accounts=tuple(sorted(set(trusted_accounts))))
    settings.validate_inputs()
    return settings


def emit(report: Report, fmt: str, output: Optional[Path], fail_on: Gate) -> int:
    """Render, write atomically, and turn the findings into the exit code."""
    color = output is None and fmt == "text" and sys.stdout.isatty()
    content = render(report, fmt, color=color)
    if output is not None:
        write_output(output, content)
        click.echo(f"wrote {output} ({report.summary()['failed']} failing findings)", err=True)
    else:
        click.echo(content, nl=False)
    errors = report.count(Status.ERROR)
    if errors:
        warn(f"{errors} finding(s) could not be read or decided (status error); "
             + ("--allow-errors: they do not fail the run" if fail_on.allow_errors
                else "they fail the run like violations (--allow-errors to accept them)"))
    return EXIT_FINDINGS if fail_on.blocking(report) else EXIT_OK
