"""Run a Pulumi Python program in-process under pulumi's mocks and record every resource.

A CI gate must not need the Pulumi CLI or cloud credentials: the program runs exactly as
`pulumi preview` would run it, but the resource monitor is a `MockMonitor` that records each
registration (type, name, inputs, provider, parent, source line) and answers with plausible
outputs (ids, ARNs) so that programs which wire resources together keep working.
"""

from __future__ import annotations

import contextvars
import json
import os
import runpy
import sys
import threading
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlparse

from luxguard.core.datafiles import parse_json, read_text, read_yaml
from luxguard.core.errors import LuxguardError
from luxguard.resources import pulumi_types

DEFAULT_ACCOUNT = "123456789012"
PROVIDER_PREFIX = "pulumi:providers:"
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
    resources: list[CapturedResource]
    program_dir: str = ""

    FORMAT = "luxguard-plan"
    VERSION = 1

    def to_json(self) -> str:
        return json.dumps(
            {"format": self.FORMAT, "version": self.VERSION, "project": self.project, "stack": self.stack,
             "program_dir": self.program_dir, "config": self.config,
             "resources": [asdict(r) for r in self.resources]},
            indent=2, sort_keys=True, default=str,
        )

    @classmethod
    def from_file(cls, path: Path) -> "Capture":
        data = parse_json(read_text(path, "plan file"), str(path), "luxguard plan")
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise LuxguardError(f"{path}: not a luxguard plan (field format must be {cls.FORMAT!r}; write one with --save-plan)")
        if data.get("version") != cls.VERSION:
            raise LuxguardError(f"{path}: field version: unsupported plan version {data.get('version')!r} (expected {cls.VERSION})")
        try:
            resources = [CapturedResource(**r) for r in data["resources"]]
            return cls(project=data["project"], stack=data["stack"], config=data.get("config") or {},
                       resources=resources, program_dir=data.get("program_dir", ""))
        except (KeyError, TypeError) as exc:
            raise LuxguardError(f"{path}: malformed plan: {exc}") from None


def _arn_for(type_: str, region: str, account: str, physical: str) -> str:
    service = type_.split(":")[1].split("/")[0]
    if service == "s3":
        return f"arn:aws:s3:::{physical}"
    if service == "kms":
        return f"arn:aws:kms:{region}:{account}:key/{physical}"
    if service == "ec2" and "securityGroup" in type_:
        return f"arn:aws:ec2:{region}:{account}:security-group/{physical}"
    return f"arn:aws:{service}:{region}:{account}:{type_.rsplit(':', 1)[-1].lower()}/{physical}"


class _Recorder:
    """Mocks + monitor in one: records registrations and invents outputs."""

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.account = str(config.get("luxguard:accountId") or DEFAULT_ACCOUNT)
        self.resources: list[CapturedResource] = []
        self.provider_regions: dict[str, Optional[str]] = {}
        self._lock = threading.Lock()
        self._pending = threading.local()

    def region_for(self, inputs: dict, provider: Optional[str]) -> str:
        if inputs.get("region"):
            return str(inputs["region"])
        if provider and self.provider_regions.get(provider):
            return str(self.provider_regions[provider])
        return str(self.config.get("aws:region") or "us-east-1")

    def outputs_for(self, type_: str, name: str, inputs: dict, provider: Optional[str]) -> tuple[str, dict]:
        name_input = inputs.get(PHYSICAL_NAME_INPUT.get(type_, ""))
        physical = name_input if isinstance(name_input, str) and name_input else name
        if type_.startswith(PROVIDER_PREFIX) or not type_.startswith("aws:"):
            return physical, dict(inputs)
        region = self.region_for(inputs, provider)
        arn = _arn_for(type_, region, self.account, physical)
        outputs = {"arn": arn, "region": region, **inputs}
        if type_ == "aws:kms/key:Key":
            outputs.update(keyId=physical, arn=arn)
        if type_ == "aws:s3/bucket:Bucket":
            outputs.update(bucket=physical, bucketDomainName=f"{physical}.s3.{region}.amazonaws.com")
        return physical, outputs


def _make_monitor(recorder: _Recorder):
    from pulumi.runtime import mocks

    class Mocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs):
            meta = recorder._pending.meta
            provider_urn = meta["provider"]
            physical, outputs = recorder.outputs_for(args.typ, args.name, args.inputs, provider_urn)
            if args.typ.startswith(PROVIDER_PREFIX):
                recorder.provider_regions[meta["urn"]] = args.inputs.get("region")
            with recorder._lock:
                recorder.resources.append(CapturedResource(
                    urn=meta["urn"], type=args.typ, name=args.name, id=physical, inputs=args.inputs,
                    provider=provider_urn, parent=meta["parent"], custom=bool(args.custom),
                    source_file=meta["file"], source_line=meta["line"], outputs={},
                ))
            return physical, outputs

        def call(self, args: mocks.MockCallArgs):
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {"accountId": recorder.account, "arn": f"arn:aws:iam::{recorder.account}:root", "userId": "mock"}, None
            if args.token == "aws:index/getRegion:getRegion":
                region = recorder.config.get("aws:region") or "us-east-1"
                return {"name": region, "region": region, "id": region}, None
            return {}, None

    class Monitor(mocks.MockMonitor):
        def RegisterResource(self, request):
            urn = self.make_urn(request.parent, request.type, request.name)
            position = request.sourcePosition
            file = unquote(urlparse(position.uri).path) if position and position.uri else None
            recorder._pending.meta = {
                "urn": urn,
                "parent": request.parent or None,
                "provider": request.provider.rsplit("::", 1)[0] if request.provider else None,
                "file": file,
                "line": position.line if file else None,
            }
            return super().RegisterResource(request)

        def RegisterResourceOutputs(self, request):
            return super().RegisterResourceOutputs(request)

    mocks_instance = Mocks()
    return mocks_instance, Monitor(mocks_instance)


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


def _config_values(config: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def _program_error(exc: BaseException, main_file: str) -> LuxguardError:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename]
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return LuxguardError(f"{main_file}: the program raised {type(exc).__name__}: {exc}{where}")


def capture_program(program_dir: Path, stack: str) -> Capture:
    """Run the program in `program_dir` with stack `stack`'s config and capture its resources."""
    program_dir = Path(program_dir).resolve()
    if not program_dir.exists():
        raise LuxguardError(f"{program_dir}: path not found")
    project, config, main_file = read_stack_config(program_dir, stack)
    recorder = _Recorder(config)
    context = contextvars.Context()
    error = context.run(_run_isolated, recorder, project, stack, config, main_file, program_dir)
    if error is not None:
        raise error
    resources = sorted(recorder.resources, key=lambda r: r.urn)
    return Capture(project=project, stack=stack, config=config, resources=resources, program_dir=str(program_dir))


def _run_isolated(recorder: _Recorder, project: str, stack: str, config: dict, main_file: str,
                  program_dir: Path) -> Optional[LuxguardError]:
    import pulumi.runtime as runtime
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    mocks_instance, monitor = _make_monitor(recorder)
    runtime.set_all_config(_config_values(config))
    runtime.set_mocks(mocks_instance, project=project, stack=stack, preview=False, monitor=monitor)
    saved_cwd, saved_path, saved_modules = os.getcwd(), list(sys.path), set(sys.modules)
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(main_file, run_name="__main__")))
    except SystemExit as exc:
        if exc.code not in (0, None):
            return LuxguardError(f"{main_file}: the program exited with status {exc.code}")
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported as one line
        return _program_error(exc, main_file)
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        _forget_program_modules(program_dir, saved_modules)
    return None


def _forget_program_modules(program_dir: Path, loaded_before: set[str]) -> None:
    """Drop modules the run imported from the program's folder, so the next run starts from
    fresh state (a module-level provider cache of one program must not leak into another)."""
    root = str(program_dir) + os.sep
    installed = tuple({os.path.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    for name, module in list(sys.modules.items()):
        if name in loaded_before:
            continue
        file = getattr(module, "__file__", None) or ""
        # a virtualenv inside the program folder (e.g. .venv/) holds libraries, not program code
        if file.startswith(root) and not file.startswith(installed) and "site-packages" not in file:
            del sys.modules[name]
