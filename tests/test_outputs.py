"""Every output format on hostile input: names with rich markup, terminal escapes, bidi overrides,
NUL and C1 controls; JUnit against the published junit-10.xsd; how --output writes files."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from tests.helpers import run_cli, write_program

ROOT = Path(__file__).resolve().parent.parent
JUNIT_XSD = Path(__file__).parent / "schemas" / "junit-10.xsd"
HOSTILE = "evil[/]-[link=https://x.example]click[/link]-\x1b[31m-\x1b]8;;https://x.example\x07-\u202e-\x00-\x85-\ufffe"
CONTROL = ["\x1b", "\x00", "\x85", "\u202e", "\x07"]


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory) -> Path:
    """A saved plan whose bucket name and tags are hostile, with a failing, a waived and an
    undecided (unknown at preview) finding, so every branch of every format is exercised."""
    directory = tmp_path_factory.mktemp("hostile")
    program = write_program(directory / "program", f"t.bucket(name={HOSTILE!r}, region='eu-west-1', sse='AES256')")
    plan = directory / "plan.json"
    code = subprocess.run([sys.executable, "-m", "cli", "check", str(program), "--stack", "test",
                           "--save-plan", str(plan), "--format", "json"], cwd=ROOT, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}).returncode
    assert code == 1 and plan.is_file()
    document = json.loads(plan.read_text())
    logging = next(r for r in document["resources"] if r["type"] == "aws:s3/bucketLogging:BucketLogging")
    logging["unknown_inputs"] = ["targetBucket"]      # the access-logging rules cannot decide: `error`
    plan.write_text(json.dumps(document))
    return plan


@pytest.fixture(scope="module")
def waivers(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    path.write_text("waivers:\n- id: WVR-9\n  rule: LUX-ENC-001\n  resource: 'evil*'\n"
                    "  reason: rotating keys this week\n  owner: dpo@luxcloud.lu\n  expires: '2099-01-01'\n")
    return path


def _formats(capsys, plan: Path, waivers: Path, fmt: str) -> str:
    code, out, err = run_cli(capsys, "check", "--plan", plan, "--waivers", waivers, "--format", fmt)
    assert code in (0, 1), err
    return out


def test_text_output_shows_markup_literally_and_control_characters_as_escapes(hostile_plan, waivers, capsys):
    out = _formats(capsys, hostile_plan, waivers, "text")
    assert "evil[/]-[link=https://x.example]click[/link]-" in out
    assert "\\x1b[31m" in out and "\\u202e" in out and "\\x00" in out and "\\x85" in out
    for char in CONTROL:
        assert char not in out, repr(char)


def test_text_output_in_colour_never_makes_a_hyperlink(hostile_plan, waivers):
    from luxguard.pipeline import Settings, check_capture
    from luxguard.sinks.outputs import render
    from luxguard.sources.pulumi_capture import Capture

    report = check_capture(Capture.from_file(hostile_plan), Settings(waivers_file=waivers))
    out = render(report, "text", color=True)
    assert "\x1b[" in out                    # colour is on...
    assert "\x1b]8;" not in out              # ...but no OSC 8 hyperlink, and no raw hostile escape
    assert "\x1b[31m-" not in out and "\u202e" not in out and "\x00" not in out


def test_junit_is_valid_against_the_published_schema(hostile_plan, waivers, capsys):
    out = _formats(capsys, hostile_plan, waivers, "junit")
    xmlschema.XMLSchema(JUNIT_XSD).validate(out)
    root = ET.fromstring(out)
    kinds = {child.tag for case in root.iter("testcase") for child in case}
    assert {"failure", "skipped", "error"} <= kinds, kinds
    names = [case.get("name") for case in root.iter("testcase")]
    assert any(name.startswith("AWS::S3::Bucket evil[/]") and "\\x1b" in name for name in names)
    assert all(case.get("file") is None for case in root.iter("testcase"))


def test_json_and_sarif_keep_the_name_exactly(hostile_plan, waivers, capsys):
    findings = json.loads(_formats(capsys, hostile_plan, waivers, "json"))["findings"]
    assert HOSTILE in {f["resource"]["id"] for f in findings}
    sarif = json.loads(_formats(capsys, hostile_plan, waivers, "sarif"))
    names = {loc["logicalLocations"][0]["name"] for r in sarif["runs"][0]["results"] for loc in r["locations"]}
    assert HOSTILE in names


# ----------------------------------------------------------------------------- --output

@pytest.fixture
def plan_args(hostile_plan) -> list[str]:
    return ["check", "--plan", str(hostile_plan), "--format", "json"]


def _refused(capsys, args: list, needle: str) -> None:
    code, out, err = run_cli(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err


def test_output_refuses_symlinks_fifos_and_devices(tmp_path, plan_args, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    _refused(capsys, [*plan_args, "--output", link], "symbolic link")
    assert victim.read_text() == "keep me" and link.is_symlink()
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    _refused(capsys, [*plan_args, "--output", fifo], "FIFO")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    _refused(capsys, [*plan_args, "--output", "/dev/null"], "device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.json", "report.json", "victim.txt"]


def test_output_modes_new_private_and_kept(tmp_path, plan_args, capsys):
    os.umask(0o022)
    new = tmp_path / "new.json"
    assert run_cli(capsys, *plan_args, "--output", new)[0] == 1
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    private = tmp_path / "private.json"
    assert run_cli(capsys, *plan_args, "--output", private, "--private")[0] == 1
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    existing = tmp_path / "existing.json"
    existing.write_text("old")
    existing.chmod(0o640)
    assert run_cli(capsys, *plan_args, "--output", existing, "--private")[0] == 1
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640 and json.loads(existing.read_text())["findings"]


def _small_files_only() -> None:
    """In the child: writes beyond 4 KiB fail with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_failed_write_leaves_the_old_report_and_no_temporary_file(tmp_path, plan_args):
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    target.write_text("previous report")
    result = subprocess.run([sys.executable, "-m", "cli", *plan_args, "--output", str(target)], cwd=ROOT,
                            capture_output=True, text=True, preexec_fn=_small_files_only,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "cannot write output" in lines[0], result.stderr
    assert target.read_text() == "previous report"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


# ----------------------------------------------------------------------------- rule messages

BAD_TEMPLATES = {
    "{prop.__init__.__globals__}": "unknown field",
    "{id.__class__.__mro__}": "unknown field",
    "{prop[name][0]}": "unknown field",
    "{0} and {1}": "unknown field",
    "{id:>50000000}": "format specs",
    "{id!r} bucket": "format specs",
    "{id:{id}} bucket": "format specs",
    "bucket } stray": "Single '}'",
    "bucket {prop[no_such.property]}": "unknown property 'no_such.property'",
}


@pytest.mark.parametrize("template", sorted(BAD_TEMPLATES))
def test_rules_validate_refuses_templates_outside_the_language(template, tmp_path, capsys):
    folder = tmp_path / "rules"
    folder.mkdir()
    text = (ROOT / "rules" / "LUX-ACC-001.yaml").read_text().replace("id: LUX-ACC-001", "id: LUX-ACC-901")
    lines = [f"message: {json.dumps(template)}" if line.startswith("message:") else line for line in text.splitlines()]
    (folder / "LUX-ACC-901.yaml").write_text("\n".join(lines) + "\n")
    _refused(capsys, ["rules", "validate", folder], "LUX-ACC-901.yaml: field message:")
    _, _, err = run_cli(capsys, "rules", "validate", folder)
    assert BAD_TEMPLATES[template] in err


def test_an_invalid_regex_is_refused_when_rules_load(tmp_path, capsys):
    folder = tmp_path / "rules"
    folder.mkdir()
    text = (ROOT / "rules" / "LUX-ACC-001.yaml").read_text().replace("id: LUX-ACC-001", "id: LUX-ACC-902")
    text = text.replace("condition:", "when: {property: name, matches: '([unclosed'}\ncondition:", 1)
    (folder / "LUX-ACC-902.yaml").write_text(text)
    _refused(capsys, ["rules", "validate", folder], "field when: invalid regular expression")


def test_messages_fill_named_fields_and_are_capped():
    from luxguard.core.messages import MAX_MESSAGE, MAX_VALUE, render_template

    fields = {"id": "b" * 5000, "region": "eu-west-1"}
    text = render_template("bucket {id} in {region} uses {prop[encryption.algorithm]}", fields,
                           {"encryption.algorithm": "AES256"}.get)
    assert text.startswith("bucket " + "b" * (MAX_VALUE - 1) + "… in eu-west-1 uses AES256")
    long = render_template("{id}" * 50, fields, lambda _p: None)
    assert len(long) == MAX_MESSAGE
