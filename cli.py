"""luxguard's command line: the click group and the one place that turns errors into exit 2.

Each command lives in luxguard/commands/<name>.py and only parses arguments and calls into
the stages (source -> model -> engine -> findings -> outputs | history | enforcer).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import click

import luxguard.commands
from luxguard import __version__
from luxguard.commands.common import EXIT_OK, EXIT_USAGE
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
