"""`luxguard check`: the gate on Pulumi programs before deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import click

from ..outputs import write_atomically
from ..pipeline import check_capture, load_capture
from .common import common_options, emit, make_settings


@click.command()
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


COMMANDS = [check]
