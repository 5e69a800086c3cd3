"""`luxguard sandbox` as a newcomer uses it: started in one shell, its export line pasted into
another, scan/drift run there; and the ways the first hour goes wrong (a taken port, a plain
moto_server, a forgotten endpoint), each one clear line or error findings, never a traceback."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from luxguard.sandbox.violations import SHADOW_BUCKET
from tests.moto_cloud import EU, LU

ROOT = Path(__file__).resolve().parent.parent
LUXGUARD = [sys.executable, "-m", "luxguard.cli"]
CONTACTS = "luxcloud-local-customer-contacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any AWS or moto setting (the fixtures set some)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    return {**env, "PYTHONPATH": str(ROOT), "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", **extra}


def stdout_lines(process: subprocess.Popen) -> queue.Queue:
    """The process's stdout, line by line, read on a thread (a pipe's buffered lines fool select)."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in process.stdout], daemon=True).start()
    return lines


def read_until(process: subprocess.Popen, lines: queue.Queue, marker: str, timeout: float) -> list[str]:
    """Lines up to and including the one containing `marker`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None and lines.empty():
                break
            continue
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"no {marker!r} within {timeout}s; stdout so far: {seen}")


def exports(lines: list[str]) -> dict[str, str]:
    """The variables of the printed `export A=1 B=2` line."""
    [line] = [line.strip() for line in lines if line.strip().startswith("export ")]
    return dict(word.split("=", 1) for word in shlex.split(line)[1:])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[dict]:
    out = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    process = subprocess.Popen([*LUXGUARD, "sandbox", "--port", str(port), "--output-dir", str(out)], cwd=out,
                               env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        output = stdout_lines(process)
        lines = read_until(process, output, "Serving until Ctrl-C", timeout=120)
        yield {"process": process, "output": output, "port": port, "lines": lines, "env": exports(lines), "dir": out}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def printed_command(lines: list[str], name: str) -> list[str]:
    """The printed `luxguard NAME ...` line (its trailing comment dropped), to run with this Python."""
    [line] = [line.strip() for line in lines if line.strip().startswith(f"luxguard {name} ")]
    return [*LUXGUARD, *shlex.split(line.split("#")[0])[1:]]


def failing(stdout: str) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["resource"]["id"]) for f in json.loads(stdout)["findings"] if f["status"] == "fail"}


def test_sandbox_prints_the_lines_to_paste_and_scan_finds_the_planted_violations(sandbox, tmp_path):
    env = sandbox["env"]
    assert env == {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{sandbox['port']}", "AWS_ACCESS_KEY_ID": "testing",
                   "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": LU}
    state = sandbox["dir"] / "state.json"
    assert f"luxguard drift --state {state.resolve()}" in "\n".join(sandbox["lines"])

    # Only the pasted variables: no --endpoint-url, so luxguard must honour AWS_ENDPOINT_URL.
    scan = subprocess.run([*printed_command(sandbox["lines"], "scan"), "--format", "json", "--no-history"],
                          cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True, timeout=180)
    assert scan.returncode == 1, scan.stderr
    assert "Traceback" not in scan.stderr
    found = failing(scan.stdout)
    assert ("LUX-RES-001", SHADOW_BUCKET) in found                  # a bucket abroad
    assert ("LUX-ENC-001", CONTACTS) in found                       # encryption removed
    assert any(rule == "LUX-ACC-004" and rid.startswith("sg-") for rule, rid in found)   # SSH open to the world
    report = json.loads(scan.stdout)
    assert report["summary"]["errors"] == 0, scan.stderr          # S3 Control too went to the sandbox
    assert {f["resource"]["region"] for f in report["findings"]} >= {LU, EU}

    drift = subprocess.run([*printed_command(sandbox["lines"], "drift"), "--format", "json", "--no-history"],
                           cwd=tmp_path, env=clean_env(**env), capture_output=True, text=True, timeout=180)
    assert drift.returncode == 1, drift.stderr
    planted = {("DRIFT-UNMANAGED", SHADOW_BUCKET), ("DRIFT-LOGS-RETENTION", "/luxcloud-local/app")}
    assert planted <= failing(drift.stdout)


def test_sandbox_stops_cleanly_on_ctrl_c_and_frees_its_port(sandbox):
    process, port = sandbox["process"], sandbox["port"]
    assert not port_is_free(port)
    process.send_signal(signal.SIGINT)
    read_until(process, sandbox["output"], "stopping", timeout=30)
    process.wait(timeout=60)
    err = process.stderr.read()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert port_is_free(port)


@pytest.mark.parametrize("command", ["sandbox", "demo"])
def test_a_taken_port_is_one_line_and_exit_2(command, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The demo used to wait forever here: the timeout makes a hang a failure.
        run = subprocess.run([*LUXGUARD, command, "--port", str(port), "--output-dir", str(tmp_path / "out")],
                             cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert f"127.0.0.1:{port} is already in use" in run.stderr and "--port 0" in run.stderr


# ------------------------------------------------------------------ a plain moto_server (no lu-central-1)

@pytest.fixture(scope="module")
def plain_moto(tmp_path_factory) -> Iterator[str]:
    """`moto_server -p PORT` as Pulumi.local.yaml used to suggest: no MOTO_ALLOW_NONEXISTENT_REGION."""
    binary = Path(sys.executable).parent / "moto_server"
    if not binary.exists():
        pytest.skip(f"{binary} is not installed (moto[server])")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)], env=clean_env(),
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while port_is_free(port):
            assert time.monotonic() < deadline and process.poll() is None, "moto_server did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_scan_against_a_plain_moto_server_gives_error_findings_and_a_hint(plain_moto, tmp_path):
    env = clean_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=LU)
    run = subprocess.run([*LUXGUARD, "scan", "--endpoint-url", plain_moto, "--regions", f"{LU},{EU}",
                          "--format", "json", "--no-history"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    listings = [f["listing"] for f in json.loads(run.stdout)["findings"] if f["status"] == "error" and "listing" in f]
    assert listings and {item["region"] for item in listings} == {LU}
    assert {item["code"] for item in listings} == {"500"}
    assert f"{plain_moto} answered HTTP 5xx to the listings of {LU}" in run.stderr
    assert "luxguard sandbox" in run.stderr


def test_region_listing_against_a_plain_moto_server_is_a_client_error(plain_moto, monkeypatch):
    """`--regions all` lists the account's regions first; the 500 page there used to escape as a
    ResponseParserError (neither ClientError nor BotoCoreError): the scan's traceback. Now it is
    a ClientError, and `--regions all` stops on it with one line (never fewer regions silently)."""
    from luxguard.core.errors import LuxguardError
    from luxguard.core.locations import load_locations
    from scanners import open_session, resolve_regions
    from scanners.regions import account_regions

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    session = open_session(None, LU)
    with pytest.raises(ClientError) as caught:
        account_regions(session, plain_moto)
    assert caught.value.response["Error"]["Code"] == "500"
    with pytest.raises(LuxguardError, match=r"--regions all: cannot list the account's enabled regions "
                                            r"\(ec2 DescribeRegions: 500"):
        resolve_regions(session, "all", load_locations(), plain_moto, warn=lambda _m: None)


# ------------------------------------------------------------------ the endpoint that could not be reached

def test_a_closed_endpoint_is_named_with_a_hint(tmp_path):
    env = clean_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=LU)
    run = subprocess.run([*LUXGUARD, "scan", "--endpoint-url", "http://127.0.0.1:1", "--regions", LU, "--no-history"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    [line] = run.stderr.splitlines()
    assert line.startswith("luxguard: error: cannot reach the cloud endpoint http://127.0.0.1:1 ")
    assert "is the cloud running there?" in line and "luxguard sandbox" in line


def test_a_forgotten_endpoint_says_aws_has_no_such_region():
    """Without --endpoint-url botocore goes to AWS's hosts for lu-central-1, which do not exist.
    The wording is checked on botocore's own error for that host: no request leaves the machine."""
    from scanners.access import open_session, unreachable
    from scanners.clients import ClientFactory

    clients = ClientFactory(open_session(None, LU), None)
    error = EndpointConnectionError(endpoint_url=f"https://sts.{LU}.amazonaws.com/")
    message = unreachable(clients, LU, error)
    assert message.startswith(f"cannot reach https://sts.{LU}.amazonaws.com/, AWS's own endpoint for region {LU}")
    assert f"{LU} is not an AWS region" in message
    assert "--endpoint-url URL or AWS_ENDPOINT_URL" in message and "luxguard sandbox" in message
    # A real AWS region is not called a non-region.
    other = unreachable(clients, EU, EndpointConnectionError(endpoint_url=f"https://sts.{EU}.amazonaws.com/"))
    assert "not an AWS region" not in other and "no network" in other


# ------------------------------------------------------------------ re-running the demo

def test_rerunning_the_demo_starts_a_fresh_history(capsys, tmp_path):
    from luxguard.sinks.history import HistoryStore
    from tests.helpers import run_cli

    code, _, err = run_cli(capsys, "demo", "--output-dir", tmp_path)
    assert code == 0, err
    first = {r.id for r in HistoryStore(str(tmp_path / "history.db")).runs()}
    code, out, err = run_cli(capsys, "demo", "--output-dir", tmp_path)
    assert code == 0, err
    runs = HistoryStore(str(tmp_path / "history.db")).runs()
    assert len(runs) == 4                       # scan and drift, before and after: this run's only
    assert {r.source for r in runs} == {"aws", "drift"}
    state = json.loads((tmp_path / "state.json").read_text())
    [group] = [r["id"] for r in state["deployment"]["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup"]
    assert group in {f["resource"]["id"] for f in json.loads((tmp_path / "drift.json").read_text())["findings"]}
    assert len(first) == 4 and not list(tmp_path.glob(".history.db.new*"))
    assert "replace the previous run's" in " ".join(out.split())
