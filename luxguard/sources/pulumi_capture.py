"""Run a Pulumi Python program as `pulumi preview` would, without the CLI, and record every resource.

A CI gate must not need the Pulumi CLI or cloud credentials: the program runs in a child process
(pulumi_child) whose SDK talks over gRPC to a resource monitor in this process
(pulumi_monitor_server), which records each registration (type, name, inputs, provider, parent,
source line) and answers like a preview (pulumi_mocks). The capture is built here from what the
monitor received; the child only says whether the program ran to its end. This module is the
parent's side (the saved-plan format, the stack config, the child's lifetime) and what every
stage shares about captures.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.context
import os
import signal
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from luxguard.core.datafiles import DATA_DIR, parse_json, read_text, read_yaml, validate
from luxguard.core.errors import LuxguardError
from luxguard.resources import pulumi_types

DEFAULT_TIMEOUT = 300.0   # seconds a program may run (`check --timeout`)
KILL_GRACE = 10.0         # the child stops itself at the timeout; the parent kills it after this
DEFAULT_ACCOUNT = "123456789012"
PROVIDER_PREFIX = "pulumi:providers:"
PLAN_SCHEMA = DATA_DIR / "plan.schema.json"
# The input that names the physical resource, per type (PulumiType.physical_name of the
# descriptors): the mock id takes it so that children referring to the resource by id find it,
# and findings name what the cloud will call it.
PHYSICAL_NAME_INPUT = {spec.type: spec.physical_name for spec in pulumi_types() if spec.physical_name}


@dataclass
class CapturedResource:
    urn: str
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    provider: Optional[str] = None      # URN of the explicit provider, None for the default one
    parent: Optional[str] = None
    custom: bool = True
    source_file: Optional[str] = None
    source_line: Optional[int] = None
    outputs: dict[str, Any] = field(default_factory=dict)
    # Top-level inputs whose value is not known yet (a policy pack during preview); the
    # normaliser makes rules reading them undecided instead of failing.
    unknown_inputs: list[str] = field(default_factory=list)


@dataclass
class Capture:
    """What a program declared, plus the stack config it ran with: the saved-plan format."""

    project: str
    stack: str
    config: dict[str, Any]
    resources: list[CapturedResource]          # declared: what the program creates and manages
    program_dir: str = ""
    # Read with `Resource.get()` / StackReference: they exist already; never judged as declared.
    existing: list[CapturedResource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what the capture could not see
    peak_mib: float = field(default=0.0, compare=False)   # the program's process, for bench/

    FORMAT = "luxguard-plan"
    VERSION = 1

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.FORMAT, "version": self.VERSION, "project": self.project, "stack": self.stack,
                "program_dir": self.program_dir, "config": self.config,
                "resources": [asdict(r) for r in self.resources],
                "existing": [asdict(r) for r in self.existing], "notes": list(self.notes)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Capture":
        return cls(project=data["project"], stack=data["stack"], config=data.get("config") or {},
                   resources=[CapturedResource(**r) for r in data["resources"]],
                   program_dir=data.get("program_dir", ""),
                   existing=[CapturedResource(**r) for r in data.get("existing") or []],
                   notes=[str(n) for n in data.get("notes") or []])

    @classmethod
    def from_file(cls, path: Path) -> "Capture":
        data = parse_json(read_text(path, "plan file"), str(path), "luxguard plan")
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise LuxguardError(f"{path}: not a luxguard plan (field format must be {cls.FORMAT!r}; write one with --save-plan)")
        if data.get("version") != cls.VERSION:
            raise LuxguardError(f"{path}: field version: unsupported plan version {data.get('version')!r} (expected {cls.VERSION})")
        validate(data, PLAN_SCHEMA, str(path))
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise LuxguardError(f"{path}: malformed plan: {exc}") from None


def arn_for(type_: str, region: str, account: str, physical: str) -> str:
    """The ARN a resource of a pulumi-aws type will have, from its name, region and account."""
    service = type_.split(":")[1].split("/")[0]
    if service == "s3":
        return f"arn:aws:s3:::{physical}"
    if service == "kms":
        return f"arn:aws:kms:{region}:{account}:key/{physical}"
    if service == "ec2" and "securityGroup" in type_:
        return f"arn:aws:ec2:{region}:{account}:security-group/{physical}"
    return f"arn:aws:{service}:{region}:{account}:{type_.rsplit(':', 1)[-1].lower()}/{physical}"


def read_stack_config(program_dir: Path, stack: str) -> tuple[str, dict[str, Any], str]:
    """(project name, flat config, main file) from Pulumi.yaml and Pulumi.<stack>.yaml."""
    project_file = program_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise LuxguardError(f"{program_dir}: no Pulumi.yaml (not a Pulumi project directory)")
    project = read_yaml(project_file) or {}
    if not isinstance(project, dict) or not project.get("name"):
        raise LuxguardError(f"{project_file}: field name: missing project name")
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise LuxguardError(f"{project_file}: field runtime: luxguard runs Python programs, not {runtime_name!r}")
    stack_file = program_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise LuxguardError(f"{stack_file}: stack config not found (create it or pass another --stack)")
    document = read_yaml(stack_file) or {}
    raw = document.get("config") or {} if isinstance(document, dict) else None
    if not isinstance(raw, dict):
        raise LuxguardError(f"{stack_file}: field config: must be a mapping")
    config: dict[str, Any] = {}
    for key, value in raw.items():
        full_key = key if ":" in key else f"{project['name']}:{key}"
        if isinstance(value, dict) and "secure" in value:
            value = "[secret]"
        config[full_key] = value
    main = program_dir / str(project.get("main") or "")
    main_file = main if main.is_file() else main / "__main__.py"
    if not main_file.is_file():
        raise LuxguardError(f"{program_dir}: no __main__.py (or the `main` named in Pulumi.yaml)")
    return str(project["name"]), config, str(main_file)


def parse_stack_outputs(pairs: Iterable[str], files: Iterable[Path] = ()) -> dict[str, dict[str, Any]]:
    """`--stack-outputs FILE` (the JSON of `pulumi stack output --json`) and `--stack-output
    [STACK:]KEY=VALUE` -> {stack name or "" for any stack: {key: value}}; VALUE is JSON when it
    parses as JSON, else a string."""
    outputs: dict[str, dict[str, Any]] = {}
    for path in files:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise LuxguardError(f"{path}: cannot read stack outputs ({exc.strerror})") from None
        except ValueError as exc:
            raise LuxguardError(f"{path}: stack outputs are not JSON (write them with `pulumi stack output --json`): {exc}") from None
        if not isinstance(document, dict):
            raise LuxguardError(f"{path}: stack outputs must be a JSON object of output names to values")
        outputs.setdefault("", {}).update(document)
    for pair in pairs:
        key, sep, text = pair.partition("=")
        stack, _, name = key.rpartition(":")
        if not sep or not name:
            raise LuxguardError(f"--stack-output {pair!r}: expected [STACK:]KEY=VALUE")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        outputs.setdefault(stack, {})[name] = value
    return outputs


def _runner() -> multiprocessing.context.BaseContext:
    """Programs run in children forked from a server that has imported the SDK once, so each
    capture starts in milliseconds yet shares nothing with the one before."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["luxguard.sources.pulumi_child", "luxguard.sources.pulumi_preload"])
    return context


def capture_program(program_dir: Path, stack: str, timeout: float = DEFAULT_TIMEOUT,
                    stack_outputs: Optional[dict[str, dict[str, Any]]] = None) -> Capture:
    """Run the program in `program_dir` with stack `stack`'s config in a child process and
    capture what it sent to the resource monitor; the child is killed after `timeout` seconds."""
    from luxguard.sources.pulumi_child import run_job
    from luxguard.sources.pulumi_mocks import CaptureMonitor
    from luxguard.sources.pulumi_monitor_server import serve
    from luxguard.sources.pulumi_placeholders import load_sdk

    program_dir = Path(program_dir).resolve()
    if not program_dir.exists():
        raise LuxguardError(f"{program_dir}: path not found")
    project, config, main_file = read_stack_config(program_dir, stack)
    monitor = CaptureMonitor(project, stack, config, stack_outputs or {})
    threading.Thread(target=load_sdk, name="luxguard-sdk-import", daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="luxguard-run-") as work, serve(monitor) as (address, servicer):
        job = {"program_dir": str(program_dir), "main_file": main_file, "project": project, "stack": stack,
               "config": config, "stack_outputs": stack_outputs or {}, "timeout": timeout, "monitor": address,
               "environment": dict(os.environ), "result": os.path.join(work, "result.json"),
               "log": os.path.join(work, "stderr.log"), "hang": os.path.join(work, "hang.txt")}
        child = _runner().Process(target=run_job, args=(job,), name=f"luxguard program {program_dir.name}")
        child.start()
        child.join(timeout + KILL_GRACE)
        if child.is_alive():
            _kill(child.pid)
            child.join()
        result = _read_result(job, child.exitcode, program_dir)
    if servicer.failures:
        raise LuxguardError(f"{main_file}: luxguard failed while running the program (a luxguard bug, please "
                            f"report it): the resource monitor's {sorted(servicer.failures)[0]}")
    if not result.get("ok"):
        raise LuxguardError(f"{main_file}: {result['error']}")
    if not monitor.finished:
        raise LuxguardError(f"{main_file}: the program's process reported success, but the resource monitor never "
                            f"saw the run end (the stack's outputs and the SDK's shutdown signal): not trusted")
    capture = monitor.capture(str(program_dir))
    with contextlib.suppress(TypeError, ValueError):
        capture.peak_mib = float(result.get("peak_mib") or 0)   # the child's own figure, for bench/ only
    return capture


def _kill(pid: Optional[int]) -> None:
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)   # the child leads its own process group (see pulumi_child)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _read_result(job: dict[str, Any], exitcode: Optional[int], program_dir: Path) -> dict[str, Any]:
    from luxguard.sources.program_frames import location_from_dump

    try:
        result = json.loads(Path(job["result"]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result = None
    readable = isinstance(result, dict) and isinstance(result.get("ok"), bool)
    if readable and (result["ok"] or isinstance(result.get("error"), str)):
        if result.get("internal"):
            result["error"] = f"luxguard failed while running the program (a luxguard bug, please report it): {result['error']}"
        return result
    if result is not None or os.path.exists(job["result"]):
        return {"ok": False, "error": f"the program's process left an unreadable result (status {exitcode}): not trusted"}
    dump = Path(job["hang"]).read_text(encoding="utf-8", errors="replace") if os.path.exists(job["hang"]) else ""
    where = location_from_dump(dump, program_dir)
    at = f" at {where}" if where else ""
    if dump.strip() or exitcode == -signal.SIGKILL and not where:
        return {"ok": False, "error": f"the program did not finish within {job['timeout']:g} s (--timeout){at}"}
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        return {"ok": False, "error": f"the program's process was killed by {name} before it finished"}
    return {"ok": False, "error": f"the program ended its process (status {exitcode}) before it finished"}
