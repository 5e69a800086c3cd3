"""`luxguard check`: the gate on Pulumi programs before deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import click

from luxguard.core.errors import LuxguardError
from luxguard.sources.pulumi_capture import DEFAULT_TIMEOUT, parse_stack_outputs
from luxguard.pipeline import (
    add_checkov_findings,
    check_capture,
    check_infrastructure_code,
    is_pulumi_project,
    load_capture,
)
from luxguard.commands.common import Gate, common_options, emit, make_settings, write_output


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--stack", help="Stack whose Pulumi.<stack>.yaml config the program runs with.")
@click.option("--plan", type=click.Path(path_type=Path), help="Read a saved capture instead of running the program.")
@click.option("--save-plan", type=click.Path(dir_okay=False, path_type=Path), help="Write the capture to FILE.")
@click.option("--with-checkov/--without-checkov", default=None,
              help="checkov's built-in checks too (default: on for Terraform and CloudFormation when checkov is "
                   "installed, off for Pulumi programs).")
@click.option("--region", help="CloudFormation: the region the template is deployed to.")
@click.option("--var", "-var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Terraform directory: a variable value (repeatable).")
@click.option("--var-file", "-var-file", "var_files", multiple=True, type=click.Path(path_type=Path),
              help="Terraform directory: a .tfvars file (repeatable).")
@click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="CloudFormation: a template parameter value (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Pulumi program: seconds it may run before the check stops it (exit 2).")
@click.option("--stack-output", "stack_output", multiple=True, metavar="[STACK:]KEY=VALUE",
              help="Pulumi program: a StackReference output it reads (VALUE as JSON or text); unknown otherwise.")
@click.option("--stack-outputs", "stack_outputs_files", multiple=True, type=click.Path(path_type=Path),
              help="Pulumi program: StackReference outputs from a file written by `pulumi stack output --json`.")
@common_options
def check(path: Optional[Path], stack: Optional[str], plan: Optional[Path], save_plan: Optional[Path],
          with_checkov: Optional[bool], region: Optional[str], variables: tuple[str, ...],
          var_files: tuple[Path, ...], parameters: tuple[str, ...], timeout: float, stack_output: tuple[str, ...],
          stack_outputs_files: tuple[Path, ...], fmt: str, output: Optional[Path], fail_on: Gate,
          **shared: Any) -> int:
    """Gate infrastructure code before deploy.

    A Pulumi program runs under mocks; a Terraform directory, Terraform plan JSON or
    CloudFormation template is read into the same model. Every rule is evaluated on every
    resource either declares.
    """
    settings = make_settings(**shared)
    if plan is None and not is_pulumi_project(path):
        if path is not None and not path.exists():
            raise LuxguardError(f"{path}: path not found")
        from luxguard.sources.infrastructure_code import IacOptions

        options = IacOptions(region=region, variables=variables, var_files=var_files, parameters=parameters)
        return emit(check_infrastructure_code(path, settings, options, with_checkov), fmt, output, fail_on)
    capture = load_capture(path, stack, plan, timeout=timeout,
                           stack_outputs=parse_stack_outputs(stack_output, stack_outputs_files))
    if save_plan is not None:
        write_output(save_plan, capture.to_json())
    try:
        report = check_capture(capture, settings)
    except LuxguardError as exc:
        raise LuxguardError(f"{plan}: {exc}" if plan is not None else str(exc)) from None
    if with_checkov:
        add_checkov_findings(report, capture)
    return emit(report, fmt, output, fail_on)


COMMANDS = [check]
