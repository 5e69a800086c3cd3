"""luxguard installed the normal way: a built wheel (not editable) in a fresh venv, run from a
folder that is not the checkout. The catalogue and the reference stack must come from the wheel.

The fresh venv gets only the wheel (`--no-deps --no-index`); its dependencies come from the test
venv's site-packages through a .pth line, so the test needs no registry and takes seconds. That
line adds a plain path (its .pth files are not processed), so the checkout's editable install
cannot leak in; the test asserts luxguard, stacks and the rules are the installed copies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md", "Pulumi.yaml", "Pulumi.local.yaml",
                 "Pulumi.production.yaml", "__main__.py", "requirements-checkov.txt")
PROJECT_DIRS = ("luxguard", "scanners", "stacks", "policypack", "rules")


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with luxguard installed from a wheel built out of a copy of the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, source / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "bundled"))
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), "./source"], work)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = sorted((work / "dist").glob("luxguard-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    from luxguard.core.packaged import REFERENCE_STACK_FILES   # what the installed luxguard looks for

    assert "luxguard/bundled/rules/schema.json" in names
    assert {f"luxguard/bundled/reference_stack/{name}" for name in REFERENCE_STACK_FILES} <= set(names)
    assert "cli.py" not in names   # a top-level cli module would collide with python-hcl2's cli package

    venv = work / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], work).returncode == 0
    purelib = Path(_run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        work).stdout.strip())
    (purelib / "luxguard-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], work)
    assert done.returncode == 0, done.stderr[-2000:]
    return venv


def test_the_installed_package_uses_its_own_files(installed, tmp_path):
    probe = _run([str(installed / "bin" / "python"), "-c",
                  "import json, luxguard, stacks; from luxguard.core.rules import RULES_DIR; "
                  "from luxguard.core.packaged import reference_stack_dir; "
                  "print(json.dumps([luxguard.__file__, stacks.__file__, str(RULES_DIR), str(reference_stack_dir())]))"],
                 tmp_path)
    assert probe.returncode == 0, probe.stderr
    for path in json.loads(probe.stdout):
        assert path.startswith(str(installed)), path
        assert not path.startswith(str(ROOT))


def test_rules_list_runs_from_any_folder(installed, tmp_path):
    done = _run([str(installed / "bin" / "luxguard"), "rules", "list"], tmp_path)
    assert done.returncode == 0, done.stderr
    ids = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("LUX-")}
    assert ids == {path.stem for path in (ROOT / "rules").glob("LUX-*.yaml")}


def test_check_gates_the_reference_stack(installed, tmp_path):
    program = tmp_path / "reference"
    program.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.local.yaml", "__main__.py"):
        shutil.copy2(ROOT / name, program / name)   # imports `stacks` from the installed package
    done = _run([str(installed / "bin" / "luxguard"), "check", str(program), "--stack", "local", "--format", "json"],
                tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] > 40

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (broken / "Pulumi.dev.yaml").write_text("config:\n  aws:region: lu-central-1\n")
    (broken / "__main__.py").write_text('import pulumi_aws as aws\naws.s3.Bucket("b", acl="public-read")\n')
    failed = _run([str(installed / "bin" / "luxguard"), "check", str(broken), "--stack", "dev", "--format", "json"], tmp_path)
    assert failed.returncode == 1, failed.stderr
    assert "LUX-ACC-003" in {f["rule_id"] for f in json.loads(failed.stdout)["findings"] if f["status"] == "fail"}


def test_demo_runs_from_the_wheel(installed, tmp_path):
    done = _run([str(installed / "bin" / "luxguard"), "demo", "--output-dir", str(tmp_path / "demo")], tmp_path,
                timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert summary["scan_after"]["failed"] > summary["stack_failing_before"]
