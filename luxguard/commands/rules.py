"""`luxguard rules`: browse and validate the rule catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from luxguard.core.errors import LuxguardError
from luxguard.pipeline import Settings
from luxguard.sinks.outputs.escape import printable
from luxguard.commands.common import EXIT_OK


@click.group()
def rules() -> None:
    """Browse and validate the rule catalogue."""


@rules.command("list")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra rule folder.")
@click.option("--category", type=click.Choice(["residency", "encryption", "access", "retention", "logging", "classification"]))
def rules_list(rule_dirs: tuple[Path, ...], category: Optional[str]) -> int:
    """One line per rule: id, severity, category, title."""
    for rule in Settings(rule_dirs=rule_dirs).rules():
        if category is None or rule.category == category:
            click.echo(printable(f"{rule.id}  {rule.severity:<8}  {rule.category:<14}  {rule.title}"))
    return EXIT_OK


@rules.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path), help="Extra rule folder.")
def rules_show(rule_id: str, rule_dirs: tuple[Path, ...]) -> int:
    """Everything about one rule, including the policy clause it enforces."""
    from luxguard.core.rules import find_rule

    rule = find_rule(Settings(rule_dirs=rule_dirs).rules(), rule_id)
    shown = (f"{rule.id}: {rule.title}\n"
             f"  category:   {rule.category}\n  severity:   {rule.severity}\n"
             f"  applies to: {', '.join(rule.resource_types)}\n"
             f"  policy:     \"{rule.clause_quote}\" ({rule.clause_section})\n"
             f"  GDPR:       {', '.join(rule.gdpr)}\n  remediation: {rule.remediation}\n"
             f"  repair:     {rule.action['name'] if rule.action else 'manual'}\n  file:       {rule.path}")
    for line in shown.split("\n"):    # rule folders come from pull requests: no terminal escapes
        click.echo(printable(line))
    return EXIT_OK


@rules.command("validate")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def rules_validate(directory: Optional[Path]) -> int:
    """Validate a rule folder (default: the built-in catalogue) against the schema and the model;
    a folder without rule files is an error (exit 2)."""
    from luxguard.core.rules import load_rules, rule_files

    from luxguard.actors.enforcer import validate_rule_actions

    if directory is not None and not rule_files(directory):   # "0 rules valid" would pass a typo'd path
        raise LuxguardError(f"{directory}: no rule files (*.yaml, *.yml) directly in this folder; nothing to validate")
    loaded = load_rules([directory], include_builtin=False) if directory else load_rules()
    validate_rule_actions(loaded)   # every repair a rule names exists and its options fit its schema
    click.echo(f"{len(loaded)} rules valid")
    return EXIT_OK


COMMANDS = [rules]
