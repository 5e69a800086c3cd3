"""`luxguard demo`: the whole loop on an embedded local cloud, with nothing to configure.

LOCAL SANDBOX ONLY (moto on 127.0.0.1, fake credentials); the stages are in luxguard/sandbox/demo.py.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("luxguard-demo"),
              show_default=True, help="Where the state, findings JSON, plan and report are written.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port of the local cloud on 127.0.0.1 (0: a free one).")
def demo(output_dir: Path, port: int) -> int:
    """The whole loop on an embedded local cloud (a sandbox; real stacks are deployed with `pulumi up`)."""
    from luxguard.sandbox.demo import run_demo

    return run_demo(output_dir, port)


COMMANDS = [demo]
