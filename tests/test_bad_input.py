"""Bad input never gives a traceback: one line on stderr, exit 2, and no output file touched.

Two halves. A named corpus: the inputs that used to crash or hang (non-UTF-8 files, invalid YAML
dates, deep nesting, an alias bomb, a FIFO named *.yaml, an invalid regex, malformed endpoint URLs,
an endpoint that answers HTML, an unwritable .luxguard/). And a hypothesis fuzz over every input
file kind (a valid document of that kind, mutated: subtrees replaced by values of the wrong type,
keys deleted, nesting deepened; Terraform source with snippets inserted or cut; or raw bytes) and over every CLI flag. A generated input may
happen to be valid; then the command runs (exit 0 or 1). Anything else must be a named refusal,
never "internal error". LUXGUARD_FUZZ_EXAMPLES scales the number of examples (CI: the default).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.helpers import run_cli, write_program

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("LUXGUARD_FUZZ_EXAMPLES", "12"))
# No shrinking: a failure reports its (unshrunk) example and CI time stays bounded.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
PREVIOUS = "previous report\n"


# ----------------------------------------------------------------------------- the workspace

@dataclass
class Workspace:
    root: Path
    plan: Path            # a valid saved plan
    findings: Path        # a valid findings file
    output: Path          # where every command is told to write; must survive every refusal
    endpoint: str         # the moto server
    html_endpoint: str    # a server that answers every request with a 200 HTML page

    def fresh_output(self) -> Path:
        self.output.write_text(PREVIOUS)
        os.utime(self.output, ns=(1_000_000_000, 1_000_000_000))
        return self.output

    def output_untouched(self) -> bool:
        return self.output.read_text() == PREVIOUS and self.output.stat().st_mtime_ns == 1_000_000_000


class _HtmlHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"<html><body><h1>Gateway</h1><p>Please log in.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def html_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def ws(tmp_path_factory, moto_endpoint: str, html_endpoint: str) -> Workspace:
    root = tmp_path_factory.mktemp("bad-input")
    program = write_program(root / "program", "t.bucket(name='acme-crm', region='eu-west-1')\nt.key()")
    plan, findings = root / "plan.json", root / "findings.json"
    result = subprocess.run([sys.executable, "-m", "cli", "check", str(program), "--stack", "test", "--save-plan",
                             str(plan), "--format", "json", "--output", str(findings)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1 and plan.is_file() and findings.is_file(), result.stderr
    (root / "out").mkdir()
    return Workspace(root=root, plan=plan, findings=findings, output=root / "out" / "report.out",
                     endpoint=moto_endpoint, html_endpoint=html_endpoint)


def run_refused_or_ran(capsys, ws: Workspace, args: list[Any], may_run: bool = True) -> tuple[int, str]:
    """Run the CLI; exit 2 must be exactly one named line with the output untouched; exit 0/1 only
    when the input may be valid. Never a traceback, never an internal error."""
    ws.fresh_output()
    code, _out, err = run_cli(capsys, *[str(a) for a in args])
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("luxguard: error: "), err
        assert "internal error" not in lines[0], lines[0]
        assert ws.output_untouched(), "a refused run touched --output"
    else:
        assert may_run and code in (0, 1), (code, err)
    return code, (lines[-1] if lines else "")


def refused(capsys, ws: Workspace, args: list[Any], *needles: str) -> str:
    code, line = run_refused_or_ran(capsys, ws, args, may_run=False)
    assert code == 2
    for needle in needles:
        assert needle in line, line
    return line


# ----------------------------------------------------------------------------- input file kinds

def _rule_seed() -> Any:
    text = (ROOT / "rules" / "LUX-ACC-001.yaml").read_text().replace("LUX-ACC-001", "LUX-ACC-901")
    return yaml.safe_load(text)


APPROVALS_SEED = {"approvals": [{
    "id": "APR-ACME-1", "customer": "ACME S.A.", "data_categories": ["contact"],
    "destinations": {"countries": ["IE"]}, "scope": {"name_patterns": ["acme-*"]},
    "document": "LC-DPA-2026-014", "approved_by": "J. Doe, ACME DPO",
    "granted": "2026-01-01", "expires": "2026-12-31"}]}
WAIVERS_SEED = {"waivers": [{"id": "WVR-1", "rule": "LUX-ENC-001", "resource": "acme-*",
                             "reason": "key rotation this week", "owner": "dpo@luxcloud.lu", "expires": "2099-01-01"}]}
LOCATIONS_SEED = {"locations": [{"provider": "aws", "region": "lu-west-9", "country": "LU", "note": "test"}]}
STATE_SEED = {"version": 3, "deployment": {"resources": [
    {"urn": "urn:pulumi:test::case::pulumi:providers:aws::default", "type": "pulumi:providers:aws",
     "id": "p-1", "custom": True, "inputs": {"region": "lu-central-1"}, "outputs": {"region": "lu-central-1"}},
    {"urn": "urn:pulumi:test::case::aws:s3/bucket:Bucket::acme-crm", "type": "aws:s3/bucket:Bucket",
     "id": "acme-crm-state-only", "custom": True, "inputs": {"bucket": "acme-crm-state-only"},
     "outputs": {"bucket": "acme-crm-state-only", "region": "lu-central-1"},
     "provider": "urn:pulumi:test::case::pulumi:providers:aws::default::p-1"}]}}


CFN_SEED = {"AWSTemplateFormatVersion": "2010-09-09", "Metadata": {"luxguard": {"region": "lu-central-1"}},
            "Parameters": {"Name": {"Type": "String", "Default": "acme-crm"}},
            "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": False}},
                          "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
                              "BucketName": {"Ref": "Name"},
                              "Tags": [{"Key": "data-classification", "Value": "contact"}]}}}}
TERRAFORM_SEED = """provider "aws" {
  region = var.region
}

variable "region" {
  default = "lu-central-1"
}

resource "aws_kms_key" "key" {
  enable_key_rotation = false
  tags = { "data-classification" = "contact" }
}

resource "aws_s3_bucket" "b" {
  bucket = "acme-${var.region}"
}
"""


def _terraform_plan_seed() -> Any:
    from tests.test_iac_sources import plan_of_a_module

    return plan_of_a_module()


def _check_iac(path: Path, ws: "Workspace") -> list[Any]:
    return ["check", path, "--without-checkov", "--format", "junit", "--output", ws.output]


@dataclass(frozen=True)
class Kind:
    """One kind of input file: its name on disk, a valid seed, and the command that reads it."""

    filename: str
    syntax: str                                   # yaml | json
    seed: Callable[[Workspace], Any]
    command: Callable[[Path, Workspace], list[Any]]


def _check_with(flag: str) -> Callable[[Path, Workspace], list[Any]]:
    return lambda path, ws: ["check", "--plan", ws.plan, "--format", "json", "--output", ws.output, flag, path]


KINDS: dict[str, Kind] = {
    "rule": Kind("rules/LUX-ACC-901.yaml", "yaml", lambda ws: _rule_seed(),
                 lambda path, ws: ["check", "--plan", ws.plan, "--format", "json", "--output", ws.output,
                                   "--rules", path.parent]),
    "rule-validate": Kind("rules/LUX-ACC-901.yaml", "yaml", lambda ws: _rule_seed(),
                          lambda path, ws: ["rules", "validate", path.parent]),
    "approvals": Kind("approvals.yaml", "yaml", lambda ws: APPROVALS_SEED, _check_with("--approvals")),
    "waivers": Kind("waivers.yaml", "yaml", lambda ws: WAIVERS_SEED, _check_with("--waivers")),
    "locations": Kind("locations.yaml", "yaml", lambda ws: LOCATIONS_SEED, _check_with("--locations")),
    "plan": Kind("plan.json", "json", lambda ws: json.loads(ws.plan.read_text()),
                 lambda path, ws: ["check", "--plan", path, "--format", "sarif", "--output", ws.output]),
    "findings-report": Kind("findings.json", "json", lambda ws: json.loads(ws.findings.read_text()),
                            lambda path, ws: ["report", "--findings", path, "--output", ws.output]),
    "findings-enforce": Kind("findings.json", "json", lambda ws: json.loads(ws.findings.read_text()),
                             lambda path, ws: ["enforce", "--findings", path, "--endpoint-url", ws.endpoint,
                                               "--output", ws.output, "--audit-log", ws.root / "audit.jsonl"]),
    "state": Kind("state.json", "json", lambda ws: STATE_SEED,
                  lambda path, ws: ["drift", "--state", path, "--endpoint-url", ws.endpoint, "--no-history",
                                    "--format", "junit", "--output", ws.output]),
    "cloudformation": Kind("template.yaml", "yaml", lambda ws: CFN_SEED, _check_iac),
    "terraform-plan": Kind("tfplan.json", "json", lambda ws: _terraform_plan_seed(), _check_iac),
    "terraform": Kind("tf/main.tf", "hcl", lambda ws: TERRAFORM_SEED,
                      lambda path, ws: _check_iac(path.parent, ws)),
}
# Slow kinds (a cloud round trip per example) get fewer examples.
SLOW_KINDS = {"findings-enforce", "state"}


def place(ws: Workspace, kind: Kind, data: bytes, case: str) -> Path:
    path = ws.root / "cases" / case / kind.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def serialise(kind: Kind, document: Any) -> bytes:
    if kind.syntax == "hcl":
        return str(document).encode("utf-8")
    if kind.syntax == "json":
        return json.dumps(document).encode("utf-8")
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode("utf-8")


# ----------------------------------------------------------------------------- the named corpus

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


def _deep_json(depth: int) -> bytes:
    return b'{"format": "luxguard-plan", "version": 1, "resources": ' + b"[" * depth + b"]" * depth + b"}"


CORPUS: list[tuple[str, str, bytes, str]] = [
    # (case, kind, file content, what the one line must name)
    ("rule-latin1", "rule", "id: LUX-ACC-901\ntitle: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ("rule-alias-bomb", "rule", ALIAS_BOMB.encode(), "alias"),
    ("rule-deep-yaml", "rule-validate", b"a: " + b"[" * 3000 + b"]" * 3000, "nested"),
    ("rule-bad-regex", "rule-validate", yaml.safe_dump({**_rule_seed(), "when": {
        "property": "name", "matches": "([unclosed"}}).encode(), "invalid regular expression"),
    ("rule-dunder-message", "rule", yaml.safe_dump({**_rule_seed(), "message": "{prop.__init__.__globals__}"}).encode(),
     "field message"),
    ("rule-huge-width", "rule", yaml.safe_dump({**_rule_seed(), "message": "x {id:>50000000}"}).encode(), "field message"),
    ("waivers-feb-30", "waivers", b"waivers:\n- id: W\n  rule: LUX-ENC-001\n  resource: x\n  reason: reason\n"
                                  b"  owner: me\n  expires: 2026-02-30\n", "2026-02-30"),
    ("approvals-feb-30", "approvals", b"approvals:\n- id: A\n  granted: 2026-02-30\n", "2026-02-30"),
    ("approvals-utf16", "approvals", "approvals: []\n".encode("utf-16"), "not UTF-8"),
    ("locations-wrong-type", "locations", b"locations: {region: 5}\n", "locations.yaml"),
    ("plan-latin1", "plan", '{"format": "luxguard-plan", "project": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
    ("plan-deep", "plan", _deep_json(100_000), "nested"),
    ("plan-resources-not-list", "plan", b'{"format": "luxguard-plan", "version": 1, "project": "p", "stack": "s",'
                                        b' "resources": {"a": 1}}', "plan.json"),
    ("plan-inputs-wrong-type", "plan", b'{"format": "luxguard-plan", "version": 1, "project": "p", "stack": "s",'
                                       b' "resources": [{"urn": "u", "type": "aws:s3/bucket:Bucket", "name": "b",'
                                       b' "id": "b", "inputs": "not an object"}]}', "plan.json"),
    ("state-latin1", "state", b'{"version": 3, "deployment": {"x": "\xe9"}}', "not UTF-8"),
    ("state-deep", "state", b'{"version": 3, "deployment": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
    ("state-inputs-wrong-type", "state", json.dumps({"version": 3, "deployment": {"resources": [
        {**STATE_SEED["deployment"]["resources"][1], "inputs": {"bucket": ["not", "a", "name"], "tags": "x"}}]}}
    ).encode(), "state.json"),
    ("terraform-unclosed", "terraform", b'resource "aws_s3_bucket" "b" {\n  bucket = \n', "main.tf"),
    ("terraform-latin1", "terraform", 'resource "aws_s3_bucket" "b" { bucket = "caf\xe9" }'.encode("latin-1"),
     "not UTF-8"),
    ("cloudformation-unparseable", "cloudformation", b"Resources: [1, 2\n", "template.yaml"),
    ("cloudformation-alias-bomb", "cloudformation", ALIAS_BOMB.encode(), "alias"),
    ("terraform-plan-deep", "terraform-plan", b'{"format_version": "1.2", "planned_values": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}", "nested"),
    ("findings-latin1", "findings-report", b'{"findings": ["\xe9"]}', "not UTF-8"),
    ("findings-deep", "findings-enforce", b'{"findings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
]


@pytest.mark.parametrize("case, kind_name, content, needle", CORPUS, ids=[c[0] for c in CORPUS])
def test_named_bad_inputs(ws, capsys, case, kind_name, content, needle):
    kind = KINDS[kind_name]
    path = place(ws, kind, content, case)
    line = refused(capsys, ws, kind.command(path, ws), needle)
    assert str(path.name) in line or str(path.parent) in line, line


def test_a_fifo_named_like_a_rule_does_not_hang(ws, tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    os.mkfifo(folder / "LUX-ACC-901.yaml")
    result = subprocess.run([sys.executable, "-m", "cli", "rules", "validate", str(folder)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "not a regular file" in lines[0], result.stderr


@pytest.mark.parametrize("url, needle", [
    ("127.0.0.1:4566", "http:// or https://"),
    ("http://host:notaport", "not a valid URL"),
    ("http://127.0.0.1:99999", "not a valid URL"),
    ("http://", "no host"),
    ("ftp://127.0.0.1/", "http:// or https://"),
    ("http://user:s3cret@127.0.0.1:notaport", "not a valid URL"),
])
def test_malformed_endpoint_urls(ws, capsys, url, needle):
    for command in (["scan", "--no-history"], ["drift", "--state", ws.root / "none.json"], ["enforce"]):
        line = refused(capsys, ws, [*command, "--endpoint-url", url, "--output", ws.output], needle)
        assert "s3cret" not in line


def test_credentials_in_the_endpoint_url_are_never_shown_or_stored(ws, capsys, tmp_path):
    # Nothing listens on port 9: the error message names the URL, without its password.
    line = refused(capsys, ws, ["scan", "--endpoint-url", "http://luxuser:s3cret@127.0.0.1:9", "--regions",
                                "lu-central-1", "--db", tmp_path / "h.db", "--output", ws.output])
    assert "s3cret" not in line
    # Against the real (moto) endpoint: the history and the HTML report keep no password.
    endpoint = ws.endpoint.replace("http://", "http://luxuser:s3cret@")
    code, _, err = run_cli(capsys, "scan", "--endpoint-url", endpoint, "--regions", "lu-central-1",
                           "--db", tmp_path / "h.db", "--format", "json")
    assert code in (0, 1) and "s3cret" not in err, err
    code, html, err = run_cli(capsys, "report", "--db", tmp_path / "h.db")
    assert code == 0 and "s3cret" not in html and "luxuser:***@" in html, err
    assert b"s3cret" not in (tmp_path / "h.db").read_bytes()


def test_an_endpoint_that_answers_html_is_never_a_pass(ws, capsys, tmp_path):
    code, line = run_refused_or_ran(capsys, ws, ["scan", "--endpoint-url", ws.html_endpoint, "--regions",
                                                 "lu-central-1", "--no-history", "--format", "json",
                                                 "--output", ws.output])
    assert code != 0, line
    if code == 1:   # ran: whatever it read from a gateway page is an error, never a verdict
        document = json.loads(ws.output.read_text())
        assert not [f for f in document["findings"] if f["status"] == "pass"]


def test_an_unwritable_luxguard_directory_is_one_line(ws, capsys, tmp_path, monkeypatch):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / ".luxguard").write_text("a file where the history directory should be")
    monkeypatch.chdir(workdir)
    refused(capsys, ws, ["scan", "--endpoint-url", ws.endpoint, "--regions", "lu-central-1",
                         "--output", ws.output], ".luxguard")
    if os.geteuid() != 0:   # root ignores directory permissions
        readonly = tmp_path / "readonly"
        readonly.mkdir()
        readonly.chmod(0o555)
        monkeypatch.chdir(readonly)
        refused(capsys, ws, ["scan", "--endpoint-url", ws.endpoint, "--regions", "lu-central-1",
                             "--output", ws.output], ".luxguard")


# ----------------------------------------------------------------------------- the fuzz

LEAVES = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
          | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
          | st.sampled_from(["", "2026-02-30", "*", "[/]", "\x1b[31m", "{id}", "LUX-ENC-001", "../../etc/passwd",
                             "aws:s3/bucket:Bucket", "lu-central-1", "fail", "pass", "error"]))
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def _paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated(draw: Any, seed: Any) -> Any:
    """The seed with one to three subtrees replaced, deleted or nested deeper."""
    document = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(document))))
        action = draw(st.sampled_from(["replace", "replace", "delete", "deepen"]))
        if not path:
            document = draw(VALUES) if action != "deepen" else [[[[document]]]]
            continue
        *parents, last = path
        container = document
        for step in parents:
            container = container[step]
        if action == "delete":
            del container[last]
        elif action == "deepen":
            container[last] = {"x": [[[container[last]]]]}
        else:
            container[last] = draw(VALUES)
    return document


HCL_SNIPPETS = st.sampled_from(['"', "{", "}", "${", "${var.nope}", "[", "= =", "\\", "<<EOF\n", "#", "/*",
                                "count = -1", "for_each = 5", "region = 42", "dynamic \"x\" {", "\x00", "\u202e",
                                "module \"m\" { source = \"../../../../etc\" }", "locals { a = local.a }"]) | st.text(max_size=12)


@st.composite
def mutated_text(draw: Any, seed: str) -> str:
    """Terraform source with snippets inserted, spans deleted or the file cut short."""
    text = seed
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "insert", "delete", "truncate"]))
        if action == "insert":
            text = text[:at] + draw(HCL_SNIPPETS) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        else:
            text = text[:at]
    return text


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@FUZZ
@given(data=st.data())
def test_fuzzed_documents(ws, capsys, kind_name, data):
    kind = KINDS[kind_name]
    if kind_name in SLOW_KINDS and data.draw(st.integers(0, 2), label="slow-kind skip") != 0:
        return   # a third of the examples for kinds that talk to the cloud
    strategy = mutated_text(kind.seed(ws)) if kind.syntax == "hcl" else mutated(kind.seed(ws))
    document = data.draw(strategy, label="document")
    path = place(ws, kind, serialise(kind, document), f"fuzz-{kind_name}")
    run_refused_or_ran(capsys, ws, kind.command(path, ws))


RAW_PREFIXES = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\x1f\x8b", b"%YAML 1.1\n---\n", b"{", b"- ", b"!!python/object:os.system "]


@pytest.mark.parametrize("kind_name", sorted(set(KINDS) - SLOW_KINDS))
@FUZZ
@given(prefix=st.sampled_from(RAW_PREFIXES), body=st.binary(max_size=64))
def test_fuzzed_bytes(ws, capsys, kind_name, prefix, body):
    kind = KINDS[kind_name]
    path = place(ws, kind, prefix + body, f"bytes-{kind_name}")
    run_refused_or_ran(capsys, ws, kind.command(path, ws))


FLAG_VALUES = st.one_of(
    st.text(max_size=16),
    st.sampled_from(["", "-", "--", "0", "-1", "99999999999999999999", "nan", "all", "ALL", ",", "lu-central-1,,",
                     "2026-02-30", "2026-13-01", "1e309", "\x00", "a\x00b", "/", "/dev/null", "/dev/full", ".",
                     "..", "/nonexistent/dir/file", "[/]", "\u202e", "http://", "127.0.0.1:4566",
                     "http://host:notaport", "postgresql://u:p@127.0.0.1:1/db", "sqlite:////nonexistent/x.db",
                     "LUX-ENC-001", "s3://", "file://", "critical", "json"]))

# (command, flag, the rest of a valid invocation): each example replaces one flag's value.
FLAG_CASES: list[tuple[str, list[str]]] = [
    ("check", ["--fail-on", "--format", "--pinned-country", "--as-of", "--region", "--stack", "--save-plan",
               "--output", "--rules", "--locations", "--approvals", "--waivers", "--plan"]),
    ("scan", ["--regions", "--workers", "--fail-on", "--db", "--profile", "--endpoint-url", "--pinned-country"]),
    ("report", ["--run", "--db", "--format", "--findings", "--rules"]),
    ("rules show", ["RULE_ID", "--rules"]),
    ("rules list", ["--category", "--rules"]),
    ("watch", ["--interval", "--max-runs"]),
    ("drift", ["--stack", "--backend", "--state", "--workers"]),
    ("enforce", ["--rule", "--resource", "--category", "--kms-key", "--findings", "--actor", "--audit-log"]),
]
FLAGS = [(command, flag) for command, flags in FLAG_CASES for flag in flags]


def _invocation(ws: Workspace, command: str, flag: str, value: str) -> list[Any]:
    base: dict[str, list[Any]] = {
        "check": ["check", "--plan", ws.plan, "--format", "json", "--output", ws.output],
        "scan": ["scan", "--endpoint-url", ws.endpoint, "--regions", "lu-central-1", "--no-history",
                 "--output", ws.output],
        "report": ["report", "--findings", ws.findings, "--output", ws.output],
        "rules show": ["rules", "show"],
        "rules list": ["rules", "list"],
        "watch": ["watch", "--endpoint-url", ws.endpoint, "--regions", "lu-central-1", "--no-history",
                  "--max-runs", "1", "--interval", "1s", "--output", ws.output],
        "drift": ["drift", "--state", ws.root / "missing-state.json", "--endpoint-url", ws.endpoint,
                  "--no-history", "--output", ws.output],
        "enforce": ["enforce", "--findings", ws.findings, "--endpoint-url", ws.endpoint, "--output", ws.output,
                    "--audit-log", ws.root / "audit.jsonl"],
    }
    args = list(base[command])
    if flag == "RULE_ID":
        return [*args, value]
    if flag in args:                                   # replace the valid value
        position = args.index(flag)
        args[position + 1] = value
        return args
    if command == "report" and flag in ("--run", "--db"):
        args = ["report", "--output", ws.output]
    if command == "check" and flag == "--plan":
        args = ["check", "--format", "json", "--output", ws.output]
    return [*args, flag, value]


@settings(FUZZ, max_examples=EXAMPLES * 4)
@given(case=st.sampled_from(FLAGS), value=FLAG_VALUES)
def test_fuzzed_flags(ws, capsys, case, value, tmp_path_factory):
    command, flag = case
    workdir = tmp_path_factory.mktemp("flags")
    previous = os.getcwd()
    os.chdir(workdir)            # relative paths in generated values land in a scratch directory
    try:
        args = _invocation(ws, command, flag, value)
        may_write_elsewhere = flag in ("--output", "--save-plan", "--audit-log")
        if may_write_elsewhere:
            _no_traceback(capsys, args)
        else:
            run_refused_or_ran(capsys, ws, args)
    finally:
        os.chdir(previous)


def _no_traceback(capsys, args: list[Any]) -> tuple[int, str]:
    code, _out, err = run_cli(capsys, *[str(a) for a in args])
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and code in (0, 1, 2), (code, err)
    if code == 2:
        assert len(lines) == 1 and "internal error" not in lines[0], err
    return code, (lines[-1] if lines else "")
