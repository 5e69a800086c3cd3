"""`luxguard sandbox`: a local cloud with the reference stack and a few violations, served until
Ctrl-C, to try scan, drift and enforce against (LOCAL SANDBOX ONLY; see luxguard/sandbox/serve.py)."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_PORT = 5000   # what Pulumi.local.yaml's luxguard:endpoint names


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the local cloud on 127.0.0.1 (0: a free one).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("luxguard-sandbox"),
              show_default=True, help="Where the stack's state file (state.json, for `luxguard drift`) is written.")
def sandbox(port: int, output_dir: Path) -> int:
    """Start a local cloud with the reference stack and some violations; print the lines to use it."""
    from luxguard.sandbox.serve import run_sandbox

    return run_sandbox(output_dir, port, lambda line: click.echo(line))


COMMANDS = [sandbox]
