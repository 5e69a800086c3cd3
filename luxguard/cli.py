"""luxguard's command line: the click group and the one place that turns errors into exit 2.

Each command lives in luxguard/commands/<name>.py and only parses arguments and calls into
the stages (source -> model -> engine -> findings -> outputs | history | enforcer).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from typing import Any

import click

import luxguard.commands
from luxguard import __version__
from luxguard.commands.common import EXIT_OK, EXIT_USAGE, one_line
from luxguard.core.errors import LuxguardError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="luxguard")
def cli() -> None:
    """luxguard: keep personal data in Luxembourg, encrypted, firewalled and access-restricted."""


def register_commands() -> None:
    """Every module of luxguard/commands lists its click commands in COMMANDS."""
    for module_info in sorted(pkgutil.iter_modules(luxguard.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"luxguard.commands.{module_info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


register_commands()


DEBUG_ENV = "LUXGUARD_DEBUG"


def _fail(message: str) -> int:
    click.echo(f"luxguard: error: {one_line(message)}", err=True)
    return EXIT_USAGE


def run(argv: list[str]) -> int:
    """Run the CLI; every failure to run as asked is one line on stderr and exit 2.

    A gate must never fail open nor print a traceback someone mistakes for a verdict: anything
    unexpected is also one line and exit 2 (set LUXGUARD_DEBUG=1 to see the traceback).
    """
    with_nul = next((i for i, arg in enumerate(argv) if "\0" in arg), None)
    if with_nul is not None:   # no path, URL or name holds NUL; the OS would refuse it mid-run
        after = f" (the value of {argv[with_nul - 1]})" if with_nul and argv[with_nul - 1].startswith("-") else ""
        return _fail(f"argument {with_nul + 1}{after} contains a NUL character")
    try:
        result: Any = cli.main(args=argv, prog_name="luxguard", standalone_mode=False)
    except LuxguardError as exc:
        return _fail(str(exc))
    except click.exceptions.Abort:
        click.echo("luxguard: aborted", err=True)
        return 130
    except click.ClickException as exc:
        return _fail(exc.format_message())
    except KeyboardInterrupt:
        click.echo("luxguard: interrupted", err=True)
        return 130
    except RecursionError:
        return _fail("input nested too deeply to process")
    except MemoryError:
        return _fail("input too large to process")
    except Exception as exc:  # noqa: BLE001 - the no-traceback guarantee; see the docstring
        if os.environ.get(DEBUG_ENV):
            raise
        return _fail(f"internal error ({type(exc).__name__}: {exc}); please report it "
                     f"(set {DEBUG_ENV}=1 for the traceback)")
    if isinstance(result, int):
        return result
    return EXIT_OK


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
