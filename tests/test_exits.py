"""Exit codes a person or CI reads (interface.md): `watch` exits like its last scan, declining
`enforce --apply`'s confirmation is no failure, and applying shows what it is doing."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_cli
from tests.moto_cloud import LU, client

ROOT = Path(__file__).resolve().parent.parent


def test_watch_exits_0_when_its_last_scan_passes_the_gate(fresh_cloud, capsys, tmp_path):
    # An empty cloud has medium findings only (default security group, EBS default encryption).
    code, _, err = run_cli(capsys, "watch", "--endpoint-url", fresh_cloud, "--regions", LU, "--interval", "0.1s",
                           "--max-runs", "1", "--fail-on", "critical", "--db", tmp_path / "h.db")
    assert code == 0, err
    assert "watch stopped after 1 scan(s); the last scan passed the gate" in err


def test_watch_exits_1_when_its_last_scan_fails_the_gate(fresh_cloud, capsys, tmp_path):
    code, _, err = run_cli(capsys, "watch", "--endpoint-url", fresh_cloud, "--regions", LU, "--interval", "0.1s",
                           "--max-runs", "1", "--fail-on", "medium", "--db", tmp_path / "h.db")
    assert code == 1, err
    assert "scan 1:" in err and "gate fails" in err


def test_watch_exits_2_when_every_scan_failed(capsys, tmp_path):
    code, _, err = run_cli(capsys, "watch", "--endpoint-url", "http://127.0.0.1:1", "--regions", LU,
                           "--interval", "0.1s", "--max-runs", "2", "--db", tmp_path / "h.db")
    assert code == 2
    assert err.count("scan 1 failed: cannot reach the cloud endpoint http://127.0.0.1:1") == 1
    assert "the last scan could not run" in err


def _open_ssh(endpoint: str) -> str:
    ec2 = client(endpoint, "ec2", LU)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="debug", Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return group


def _world_ranges(endpoint: str, group: str) -> list[str]:
    [found] = client(endpoint, "ec2", LU).describe_security_groups(GroupIds=[group])["SecurityGroups"]
    return [r["CidrIp"] for p in found["IpPermissions"] for r in p.get("IpRanges", [])]


def _enforce_on_a_terminal(endpoint: str, cwd: Path, answer: bytes) -> tuple[int, str]:
    """`enforce --apply` without --yes, its stdin a terminal (a pty) that types `answer`."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}, "PYTHONPATH": str(ROOT)}
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "luxguard.cli", "enforce", "--endpoint-url", endpoint, "--regions", LU,
         "--rule", "LUX-ACC-004", "--apply", "--audit-log", str(cwd / "audit.jsonl"), "--db", str(cwd / "h.db")],
        cwd=cwd, env=env, stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(secondary)
    try:
        os.write(primary, answer)
        out, err = process.communicate(timeout=180)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    return process.returncode, (out + err).decode()


def test_declining_the_enforce_confirmation_changes_nothing_and_exits_0(fresh_cloud, tmp_path):
    group = _open_ssh(fresh_cloud)
    code, output = _enforce_on_a_terminal(fresh_cloud, tmp_path, b"n\n")
    assert code == 0, output
    assert "Apply 1 change(s)" in output and "declined; nothing changed" in output
    assert "0.0.0.0/0" in _world_ranges(fresh_cloud, group)
    assert not (tmp_path / "audit.jsonl").exists()


def test_enforce_shows_one_line_per_action_while_applying(fresh_cloud, capsys, tmp_path):
    group = _open_ssh(fresh_cloud)
    code, out, err = run_cli(capsys, "enforce", "--endpoint-url", fresh_cloud, "--regions", LU, "--rule", "LUX-ACC-004",
                             "--apply", "--yes", "--format", "json", "--audit-log", tmp_path / "audit.jsonl",
                             "--db", tmp_path / "h.db")
    assert code == 0, err
    lines = err.splitlines()
    applying = f"luxguard: enforce: [1/1] applying sg_revoke_world_ingress on AWS::EC2::SecurityGroup {group}"
    assert applying in lines
    assert f"luxguard: enforce: re-scanning {LU} to verify the changes" in lines
    assert lines.index(applying) < lines.index(f"luxguard: enforce: re-scanning {LU} to verify the changes")
    assert [r["outcome"] for r in json.loads(out)["results"]] == ["succeeded"]
    assert "0.0.0.0/0" not in _world_ranges(fresh_cloud, group)
