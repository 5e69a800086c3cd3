"""Every YAML example in README.md goes through the loader luxguard uses for that kind of file,
so an example a newcomer copies cannot have drifted from what luxguard accepts.

A ```yaml block says what it is on its first line: `# approvals file`, `# waivers file`, `# GitHub
workflow`, `# GitHub workflow steps`, `# pre-commit config`,
`# accounts file`, `# locations file`, `# rule file`, or `# excerpt of rule ID` (a fragment whose
top-level keys replace those of the built-in rule ID, which must then still load). A block
without such a line fails this test, so a new example cannot skip the check.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest
import yaml

from luxguard.core.datafiles import parse_yaml, read_yaml
from luxguard.core.locations import load_locations
from luxguard.core.rules import RULES_DIR, load_rules, parse_rule
from luxguard.policy.exceptions import load_approvals, load_waivers
from luxguard.sources.organization import load_accounts_file

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.S | re.M)
EXCERPT = re.compile(r"^# excerpt of rule (\S+)$")


def yaml_blocks() -> list[tuple[int, str]]:
    """(line number, text) of every ```yaml block of the README."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def _file(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rule_excerpt(rule_id: str, text: str, tmp_path: Path) -> None:
    rule = read_yaml(RULES_DIR / f"{rule_id}.yaml")
    rule.update(parse_yaml(text, "README excerpt"))
    parse_rule(rule, f"README excerpt of {rule_id}")


def _rule_file(text: str, tmp_path: Path) -> list:
    document = yaml.safe_load(text)
    folder = tmp_path / "rules"
    folder.mkdir()
    _file(folder, text, f"{document['id']}.yaml")
    loaded = load_rules([folder], include_builtin=False)
    assert [r.id for r in loaded] == [document["id"]]
    load_rules([folder])     # and beside the built-in catalogue: no id clash
    return loaded


ROOT = README.parent


def _github_workflow(text: str, _tmp: Path) -> list:
    """Every `uses: luxcloud/luxguard@...` step passes only inputs action.yml declares."""
    document = yaml.safe_load(text)
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    steps = [step for job in document["jobs"].values() for step in job["steps"]]
    ours = [step for step in steps if str(step.get("uses", "")).startswith("luxcloud/luxguard@")]
    for step in ours:
        assert set(step.get("with", {})) <= inputs, set(step.get("with", {})) - inputs
    return ours


def _workflow_steps(text: str, _tmp: Path) -> list:
    """A fragment of a job's steps: a list of steps, each a run or a uses."""
    steps = yaml.safe_load(text)
    assert all("run" in step or "uses" in step for step in steps)
    return steps


def _pre_commit_config(text: str, _tmp: Path) -> list:
    """Every hook taken from luxguard's repository is one .pre-commit-hooks.yaml defines."""
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    used = [hook for repo in yaml.safe_load(text)["repos"] if repo["repo"].endswith("/luxguard")
            for hook in repo["hooks"]]
    assert {hook["id"] for hook in used} <= hooks
    return used


LOADERS: dict[str, Callable[[str, Path], object]] = {
    "GitHub workflow": _github_workflow,
    "GitHub workflow steps": _workflow_steps,
    "pre-commit config": _pre_commit_config,
    "approvals file": lambda text, tmp: load_approvals(_file(tmp, text, "approvals.yaml")),
    "waivers file": lambda text, tmp: load_waivers(_file(tmp, text, "waivers.yaml"), load_rules()),
    "accounts file": lambda text, tmp: load_accounts_file(_file(tmp, text, "accounts.yaml")),
    "locations file": lambda text, tmp: load_locations([_file(tmp, text, "locations.yaml")]),
    "rule file": _rule_file,
}


def kind_of(text: str) -> str:
    return text.split("\n", 1)[0].lstrip("# ").strip()


BLOCKS = yaml_blocks()


def test_the_readme_has_examples_of_each_kind():
    kinds = {kind_of(text) for _, text in BLOCKS}
    assert {"approvals file", "waivers file", "accounts file", "rule file"} <= kinds, kinds


@pytest.mark.parametrize("line, text", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_yaml_example_loads(line, text, tmp_path):
    first = text.split("\n", 1)[0]
    excerpt = EXCERPT.match(first)
    if excerpt:
        _rule_excerpt(excerpt.group(1), text, tmp_path)
        return
    kind = kind_of(text)
    assert first.startswith("# ") and kind in LOADERS, (
        f"README.md:{line}: a ```yaml block starts with one of: "
        f"{', '.join('# ' + k for k in LOADERS)}, # excerpt of rule ID (found {first!r})")
    loaded = LOADERS[kind](text, tmp_path)
    assert loaded, f"README.md:{line}: the example loads but holds nothing"
