"""A hostile program cannot steer the verdict: the resource monitor runs in luxguard's process.

Each program declares a public bucket (LUX-ACC-002: a bucket policy granting `*`), then tries to
make `check` pass from inside its own process: forge the child's result file and end the
process, monkeypatch luxguard's monitor and capture in the child, or swap the SDK's monitor stub.
None of these reaches what the parent's monitor received: `check` reports the violation or an
error (exit 1 or 2), never a pass.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from luxguard.sources.pulumi_mocks import CaptureMonitor
from luxguard.sources.pulumi_monitor_server import serve
from tests.helpers import run_cli, write_program

PUBLIC_BUCKET = '''
import json
import pulumi_aws as aws

bucket = aws.s3.Bucket("downloads", bucket="downloads-lu", tags={"data-classification": "marketing"},
    policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow",
        "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::downloads-lu/*"}]}))
aws.s3.BucketPublicAccessBlock("downloads-pab", bucket=bucket.id, block_public_acls=False,
    ignore_public_acls=False, block_public_policy=False, restrict_public_buckets=False)
'''

# The child's job (its result file's path) is a local of a frame below the program's.
FIND_JOB = '''
import sys
frame = sys._getframe()
while frame is not None and not isinstance(frame.f_locals.get("job"), dict):
    frame = frame.f_back
job = frame.f_locals["job"]
'''

FORGED_RESULT = PUBLIC_BUCKET + FIND_JOB + '''
import json, posix
capture = {"format": "luxguard-plan", "version": 1, "project": "case", "stack": "test", "config": {},
           "resources": [], "existing": [], "notes": []}
with open(job["result"], "w") as out:
    json.dump({"ok": True, "capture": capture, "peak_mib": 1}, out)
posix._exit(0)
'''

# Under a monitor in the child, these patches dropped every registration still queued (the SDK
# sends them after the module's code has run) and emptied the capture.
PATCHED_LUXGUARD = PUBLIC_BUCKET + '''
from luxguard.sources import pulumi_capture, pulumi_mocks
from pulumi.runtime.proto import resource_pb2

def drop(self, request):
    return resource_pb2.RegisterResourceResponse(urn=self.make_urn(request.parent, request.type, request.name))

pulumi_mocks.CaptureMonitor.RegisterResource = drop
pulumi_capture.Capture.to_dict = lambda self: {"format": "luxguard-plan", "version": 1, "project": self.project,
    "stack": self.stack, "config": {}, "resources": [], "existing": [], "notes": []}
'''

# A stub that answers registrations itself (the parent never hears of them) and passes the rest on.
SWAPPED_STUB = PUBLIC_BUCKET + '''
from pulumi.runtime import settings
from pulumi.runtime.proto import resource_pb2

class Swallow:
    def __init__(self, real):
        self.real = real

    def RegisterResource(self, request):
        return resource_pb2.RegisterResourceResponse(urn="urn:pulumi:test::case::" + request.type + "::" + request.name,
                                                     id=request.name, object=request.object)

    def __getattr__(self, name):
        return getattr(self.real, name)

settings.SETTINGS.monitor = Swallow(settings.SETTINGS.monitor)
'''

# The same stub, dropping everything: the run never ends on the monitor.
DEAF_STUB = PUBLIC_BUCKET + '''
from pulumi.runtime import settings
from google.protobuf import empty_pb2
from pulumi.runtime.proto import resource_pb2

class Deaf:
    def RegisterResource(self, request):
        return resource_pb2.RegisterResourceResponse(urn="urn:pulumi:test::case::" + request.type + "::" + request.name,
                                                     id=request.name, object=request.object)

    def __getattr__(self, name):
        return lambda *args, **kwargs: empty_pb2.Empty()

settings.SETTINGS.monitor = Deaf()
'''

PUBLIC = "fail LUX-ACC-002 downloads-lu"


def verdict(capsys, program: Path) -> tuple[int, list[str], str]:
    code, out, err = run_cli(capsys, "check", program, "--format", "json")
    if code == 2:
        return code, [], err.strip()
    findings = json.loads(out)["findings"]
    return code, sorted(f"{f['status']} {f['rule_id']} {f['resource']['id']}" for f in findings
                        if f["status"] != "pass"), ""


def test_the_honest_program_fails_on_its_public_bucket(tmp_path, capsys):
    code, verdicts, _ = verdict(capsys, write_program(tmp_path / "p", PUBLIC_BUCKET))
    assert code == 1 and PUBLIC in verdicts


def test_forged_result_file_then_exit_is_an_error(tmp_path, capsys):
    code, verdicts, err = verdict(capsys, write_program(tmp_path / "p", FORGED_RESULT))
    assert code == 2 and "\n" not in err
    assert "reported success, but the resource monitor never saw the run end" in err


def test_monkeypatching_luxguard_in_the_child_drops_nothing(tmp_path, capsys):
    code, verdicts, _ = verdict(capsys, write_program(tmp_path / "p", PATCHED_LUXGUARD))
    assert code == 1 and PUBLIC in verdicts


def test_swapping_the_sdk_monitor_stub_after_declaring(tmp_path, capsys):
    """The bucket was declared before the swap: its registration already went to the parent."""
    code, verdicts, _ = verdict(capsys, write_program(tmp_path / "p", SWAPPED_STUB))
    assert code == 1 and PUBLIC in verdicts


def test_a_stub_that_swallows_the_end_of_the_run_is_an_error(tmp_path, capsys):
    code, _, err = verdict(capsys, write_program(tmp_path / "p", DEAF_STUB))
    assert code == 2 and "\n" not in err and "the resource monitor never saw the run end" in err


def test_garbled_result_file_is_an_error(tmp_path, capsys):
    body = "import toolkit\n" + FIND_JOB + '''
import posix
open(job["result"], "w").write("{not json")
posix._exit(0)
'''
    code, _, err = verdict(capsys, write_program(tmp_path / "p", body))
    assert code == 2 and "left an unreadable result" in err


def test_monitor_port_is_fresh_and_closed_after_the_run():
    monitor = CaptureMonitor("case", "test", {}, {})
    with serve(monitor) as (first, _), serve(monitor) as (second, _):
        assert first != second and first.startswith("127.0.0.1:")
    for address in (first, second):
        with pytest.raises(OSError), socket.create_connection(tuple_of(address), timeout=2):
            pass


def test_a_failure_of_the_monitor_is_worded_as_luxguards_bug(tmp_path, capsys):
    """An RPC the monitor cannot answer is luxguard's fault, whatever the program reports."""
    body = PUBLIC_BUCKET + '''
from pulumi.runtime import settings
from pulumi.runtime.proto import resource_pb2
from google.protobuf import struct_pb2
args = struct_pb2.Struct()
args.update({"urn": "urn:pulumi:test::case::aws:s3/bucket:Bucket::nowhere"})
try:
    settings.SETTINGS.monitor.Invoke(resource_pb2.ResourceInvokeRequest(tok="pulumi:pulumi:getResource", args=args))
except Exception:
    pass
'''
    code, _, err = verdict(capsys, write_program(tmp_path / "p", body))
    assert code == 2 and "a luxguard bug, please report it" in err and "KeyError" in err


def tuple_of(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host, int(port)
