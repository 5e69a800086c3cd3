"""The GitHub Action and the pre-commit hook run real `luxguard check` command lines: the action's
shell step is executed as GitHub would (its env, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_ENV files),
and the hook's entry with a user's args, on the reference stack and on a violating program."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _violating_program(directory: Path) -> Path:
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (directory / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (directory / "__main__.py").write_text('import pulumi_aws as aws\naws.s3.BucketV2("orders")\n')
    return directory


def _run_action(tmp_path: Path, path: Path, stack: str) -> tuple[dict[str, str], Path]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    inputs.update({"path": str(path), "stack": stack})
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(tmp_path / "github_output"), "GITHUB_ENV": str(tmp_path / "github_env")}
    for name, expression in step["env"].items():
        key = expression.strip("${} ").split(".", 1)[1]
        env[name] = inputs[key]
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines())
    exported = dict(line.split("=", 1) for line in (tmp_path / "github_env").read_text().splitlines())
    return exported, Path(outputs["sarif-file"])


def test_the_action_writes_sarif_and_passes_the_compliant_stack(tmp_path):
    exported, sarif = _run_action(tmp_path, ROOT, "local")
    assert exported["LUXGUARD_EXIT"] == "0"
    document = json.loads(sarif.read_text())
    assert document["version"] == "2.1.0" and document["runs"][0]["tool"]["driver"]["name"] == "luxguard"
    assert not [r for r in document["runs"][0]["results"] if r["level"] == "error"]


def test_the_action_gates_a_violating_program_after_writing_sarif(tmp_path):
    program = _violating_program(tmp_path / "shop")
    exported, sarif = _run_action(tmp_path, program, "dev")
    assert exported["LUXGUARD_EXIT"] == "1"
    rules = {r["ruleId"] for r in json.loads(sarif.read_text())["runs"][0]["results"]}
    assert "LUX-RES-001" in rules   # the bucket is in Ireland


def test_the_pre_commit_hook_gates_the_folder_in_its_args(tmp_path):
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    entry = shlex.split(hook["entry"])
    assert shutil.which(entry[0], path=env["PATH"])
    program = _violating_program(tmp_path / "shop")
    failed = subprocess.run([*entry, str(program), "--stack", "dev"], env=env, capture_output=True, text=True,
                            timeout=600)
    assert failed.returncode == 1 and "LUX-RES-001" in failed.stdout
    passed = subprocess.run([*entry, str(ROOT), "--stack", "local"], env=env, capture_output=True, text=True,
                            timeout=600)
    assert passed.returncode == 0, passed.stdout + passed.stderr
