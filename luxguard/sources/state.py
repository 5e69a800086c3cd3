"""A Pulumi stack's recorded state, read without the Pulumi CLI.

Two sources:
- a `pulumi stack export` file (`--state FILE`): `{"version": 3, "deployment": {...}}`;
- a DIY ("self-managed") backend (`--backend file://DIR | s3://BUCKET[/prefix]` with
  `--stack [[org/]project/]NAME`): `.pulumi/stacks/<project>/<stack>.json[.gz]`, or the
  legacy `.pulumi/stacks/<stack>.json[.gz]`, whose checkpoint is
  `{"version": 3, "checkpoint": {"stack": ..., "latest": {...deployment...}}}`.

Only version 3 (the current export/checkpoint version) is read. The state's resources become
`CapturedResource`s, so the declared model comes from the same `normalise` as `luxguard check`.
Every problem is one `LuxguardError` line naming the file, URL or field.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

from luxguard.core.datafiles import MAX_INPUT_BYTES, decode_text, parse_json, read_bytes
from luxguard.core.errors import LuxguardError
from luxguard.sources.pulumi_capture import PROVIDER_PREFIX, Capture, CapturedResource

SUPPORTED_VERSION = 3
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
URN_PATTERN = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::(?P<qualified>.+)::(?P<name>.*)$")


@dataclass
class StackState:
    """One stack's state: where it came from and its resources as captured resources."""

    where: str                       # file path or backend URL + key, for messages
    project: str
    stack: str
    capture: Capture
    raw_resources: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"{self.project}/{self.stack}"


# --------------------------------------------------------------------------- parsing

def parse_urn(urn: str) -> Optional[dict[str, str]]:
    match = URN_PATTERN.match(urn or "")
    return match.groupdict() if match else None


def stack_parts(stack: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """'org/project/stack' | 'project/stack' | 'stack' -> (project or None, stack)."""
    if not stack:
        return None, None
    parts = [p for p in stack.strip().split("/") if p]
    if not parts or len(parts) > 3:
        raise LuxguardError(f"--stack {stack!r}: give NAME, PROJECT/NAME or ORG/PROJECT/NAME")
    return (parts[-2] if len(parts) >= 2 else None), parts[-1]


def _unsecret(value: Any) -> Any:
    """Secret values in state are {sig: ..., ciphertext|plaintext}; keep plaintext, drop ciphertext."""
    if isinstance(value, dict):
        if SECRET_SIG_KEY in value:
            plaintext = value.get("plaintext")
            if isinstance(plaintext, str):
                try:
                    return _unsecret(json.loads(plaintext))
                except ValueError:
                    return plaintext
            return None
        return {k: _unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v) for v in value]
    return value


def _decode(data: bytes, where: str) -> Any:
    if data[:2] == b"\x1f\x8b":
        try:   # bounded: a gzip bomb is refused like any oversized input
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            data = inflater.decompress(data, MAX_INPUT_BYTES + 1)
        except zlib.error as exc:
            raise LuxguardError(f"{where}: not a valid gzip file ({exc})") from None
        if len(data) > MAX_INPUT_BYTES:
            raise LuxguardError(f"{where}: state larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB once decompressed")
    return parse_json(decode_text(data, where), where, "Pulumi state")


def parse_state(data: bytes, where: str, stack: Optional[str] = None) -> StackState:
    """Bytes of an export file or a DIY checkpoint -> StackState (checked against `stack`)."""
    document = _decode(data, where)
    if not isinstance(document, dict):
        raise LuxguardError(f"{where}: not a Pulumi state (expected a JSON object with version and deployment)")
    if "version" not in document:
        raise LuxguardError(f"{where}: field version: missing (not a `pulumi stack export` file?)")
    version = document.get("version")
    if version != SUPPORTED_VERSION:
        raise LuxguardError(f"{where}: field version: unsupported state version {version!r} "
                            f"(luxguard reads version {SUPPORTED_VERSION})")
    config: dict[str, Any] = {}
    if "deployment" in document:
        deployment, prefix = document["deployment"], "deployment"
    elif "checkpoint" in document:
        checkpoint = document["checkpoint"]
        if not isinstance(checkpoint, dict):
            raise LuxguardError(f"{where}: field checkpoint: must be an object")
        if isinstance(checkpoint.get("config"), dict):
            config = {k: v for k, v in checkpoint["config"].items() if isinstance(v, str)}
        deployment, prefix = checkpoint.get("latest") or {}, "checkpoint.latest"
    else:
        raise LuxguardError(f"{where}: field deployment: missing (not a `pulumi stack export` file?)")
    if not isinstance(deployment, dict):
        raise LuxguardError(f"{where}: field {prefix}: must be an object")
    resources = deployment.get("resources") or []
    if not isinstance(resources, list):
        raise LuxguardError(f"{where}: field {prefix}.resources: must be a list")

    want_project, want_stack = stack_parts(stack)
    found_stack: Optional[str] = None
    found_project: Optional[str] = None
    captured: list[CapturedResource] = []
    for i, item in enumerate(resources):
        field_name = f"{prefix}.resources[{i}]"
        if not isinstance(item, dict):
            raise LuxguardError(f"{where}: field {field_name}: must be an object")
        urn, type_ = item.get("urn"), item.get("type")
        parsed = parse_urn(urn) if isinstance(urn, str) else None
        if parsed is None:
            raise LuxguardError(f"{where}: field {field_name}.urn: not a Pulumi URN ({urn!r})")
        if not isinstance(type_, str) or not type_:
            raise LuxguardError(f"{where}: field {field_name}.type: missing")
        if found_stack is None:
            found_stack, found_project = parsed["stack"], parsed["project"]
        elif (parsed["stack"], parsed["project"]) != (found_stack, found_project):
            raise LuxguardError(f"{where}: field {field_name}.urn: mixes stacks ({found_project}/{found_stack} and "
                                f"{parsed['project']}/{parsed['stack']})")
        if item.get("delete"):   # an old copy waiting to be deleted: not the declared resource
            continue
        inputs = item.get("inputs") or {}
        outputs = item.get("outputs") or {}
        if not isinstance(inputs, dict) or not isinstance(outputs, dict):
            raise LuxguardError(f"{where}: field {field_name}.inputs/outputs: must be objects")
        provider = item.get("provider")
        provider_urn = provider.rsplit("::", 1)[0] if isinstance(provider, str) and "::" in provider else None
        captured.append(CapturedResource(
            urn=urn, type=type_, name=parsed["name"], id=str(item.get("id") or parsed["name"]),
            inputs=_unsecret({**outputs, **inputs}), provider=provider_urn, parent=item.get("parent"),
            custom=bool(item.get("custom", True)), outputs=_unsecret(outputs)))

    if want_stack and found_stack and found_stack != want_stack:
        raise LuxguardError(f"{where}: state is for stack {found_stack!r} (project {found_project!r}), "
                            f"not --stack {stack!r}")
    if want_project and found_project and found_project != want_project:
        raise LuxguardError(f"{where}: state is for project {found_project!r}, not {want_project!r} (from --stack)")
    stack_name = found_stack or want_stack or "unknown"
    project_name = found_project or want_project or "unknown"
    if "aws:region" not in config:
        regions = {r.inputs.get("region") for r in captured
                   if r.type.startswith(PROVIDER_PREFIX + "aws") and isinstance(r.inputs.get("region"), str) and r.inputs["region"]}
        if len(regions) == 1:
            config["aws:region"] = regions.pop()
    capture = Capture(project=project_name, stack=stack_name, config=config, resources=captured)
    return StackState(where=where, project=project_name, stack=stack_name, capture=capture,
                      raw_resources=len(resources))


def load_state_file(path: Path, stack: Optional[str] = None) -> StackState:
    """A `pulumi stack export` file (plain or gzipped)."""
    path = Path(path)
    if path.is_dir():
        raise LuxguardError(f"{path}: is a directory; --state takes a `pulumi stack export` file "
                            f"(use --backend file://DIR for a backend)")
    return parse_state(read_bytes(path, "state file"), str(path), stack)


# --------------------------------------------------------------------------- DIY backends

def _candidates(project: Optional[str], stack: str, keys: dict[str, float]) -> list[str]:
    """Keys (relative to the backend root) that may hold the stack, newest first."""
    wanted = []
    for suffix in (".json", ".json.gz"):
        if project:
            wanted.append(f".pulumi/stacks/{project}/{stack}{suffix}")
        wanted.append(f".pulumi/stacks/{stack}{suffix}")
    found = [k for k in wanted if k in keys]
    if not project:
        pattern = re.compile(rf"^\.pulumi/stacks/[^/]+/{re.escape(stack)}\.json(\.gz)?$")
        found += [k for k in keys if pattern.match(k) and k not in found]
    return found


def _pick(url: str, project: Optional[str], stack: str, keys: dict[str, float]) -> str:
    found = _candidates(project, stack, keys)
    if not found:
        where = f".pulumi/stacks/{project or '<project>'}/{stack}.json[.gz] or .pulumi/stacks/{stack}.json[.gz]"
        raise LuxguardError(f"{url}: no state for stack {stack!r} (looked for {where})")
    projects = {k.split("/")[2] for k in found if k.count("/") == 3}
    if not project and len(projects) > 1:
        raise LuxguardError(f"{url}: stack {stack!r} exists in several projects ({', '.join(sorted(projects))}); "
                            f"pass --stack PROJECT/{stack}")
    return max(found, key=lambda k: keys[k])   # .json and .json.gz side by side: the newer wins


def _file_backend(url: str, path: str, project: Optional[str], stack: str, full_stack: str) -> StackState:
    root = Path(os.path.expanduser(path or "."))
    if not root.is_dir():
        raise LuxguardError(f"--backend {url}: directory {root} not found")
    stacks_dir = root / ".pulumi" / "stacks"
    if not stacks_dir.is_dir():
        raise LuxguardError(f"--backend {url}: no .pulumi/stacks directory in {root} (not a Pulumi DIY backend)")
    keys = {}
    for file in stacks_dir.rglob("*.json*"):
        if file.is_file() and file.name.endswith((".json", ".json.gz")):
            keys[file.relative_to(root).as_posix()] = file.stat().st_mtime
    key = _pick(url, project, stack, keys)
    target = root / key
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise LuxguardError(f"{target}: cannot read state file ({exc.strerror})") from None
    return parse_state(data, str(target), full_stack)


def _s3_backend(url: str, parsed: Any, project: Optional[str], stack: str, full_stack: str,
                endpoint_url: Optional[str], profile: Optional[str]) -> StackState:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    bucket = parsed.netloc
    if not bucket:
        raise LuxguardError(f"--backend {url}: no bucket name (use s3://BUCKET[/prefix])")
    prefix = parsed.path.strip("/")
    prefix = f"{prefix}/" if prefix else ""
    query = parse_qs(parsed.query)
    region = (query.get("region") or [None])[0] or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")
    endpoint = endpoint_url or (query.get("endpoint") or [None])[0]
    if endpoint and not endpoint.startswith(("http://", "https://")):
        endpoint = f"https://{endpoint}"
    where = f"--backend {url}" + (f" (endpoint {endpoint})" if endpoint else "")
    try:
        session = boto3.Session(profile_name=profile, region_name=region or "us-east-1")
        s3 = session.client("s3", endpoint_url=endpoint, config=Config(
            retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=20,
            s3={"addressing_style": "path"}))
        keys: dict[str, float] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}.pulumi/stacks/"):
            for obj in page.get("Contents", []):
                keys[obj["Key"][len(prefix):]] = obj["LastModified"].timestamp()
        key = _pick(url, project, stack, keys)
        data = s3.get_object(Bucket=bucket, Key=prefix + key)["Body"].read()
    except LuxguardError:
        raise
    except EndpointConnectionError as exc:
        raise LuxguardError(f"{where}: backend unreachable ({exc})") from None
    except NoCredentialsError:
        raise LuxguardError(f"{where}: no AWS credentials to read the backend") from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in ("NoSuchBucket", "404"):
            raise LuxguardError(f"{where}: bucket {bucket!r} not found") from None
        raise LuxguardError(f"{where}: cannot read the backend ({code}: {message})") from None
    except BotoCoreError as exc:
        raise LuxguardError(f"{where}: backend unreachable ({exc})") from None
    return parse_state(data, f"s3://{bucket}/{prefix}{key}", full_stack)


def load_backend(url: str, stack: Optional[str], endpoint_url: Optional[str] = None,
                 profile: Optional[str] = None) -> StackState:
    """The state of `stack` in a DIY backend (file:// or s3://)."""
    if not stack:
        raise LuxguardError(f"--backend {url}: also pass --stack NAME (which stack's state to read)")
    project, name = stack_parts(stack)
    assert name is not None
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = url[len("file://"):].split("?", 1)[0]
        return _file_backend(url, path, project, name, stack)
    if parsed.scheme == "s3":
        return _s3_backend(url, parsed, project, name, stack, endpoint_url, profile)
    raise LuxguardError(f"--backend {url}: unsupported backend (use file://DIR or s3://BUCKET; "
                        f"for Pulumi Cloud, `pulumi stack export > state.json` and pass --state)")


# --------------------------------------------------------------------------- writing

def export_document(project: str, stack: str, resources: list[dict[str, Any]],
                    pulumi_version: str = "v3.0.0") -> dict[str, Any]:
    """A `pulumi stack export` (version 3) document around state resources."""
    from datetime import datetime, timezone

    return {
        "version": SUPPORTED_VERSION,
        "deployment": {
            "manifest": {"time": datetime.now(timezone.utc).isoformat(), "magic": "", "version": pulumi_version},
            "secrets_providers": {"type": "passphrase"},
            "resources": resources,
        },
    }


def checkpoint_document(project: str, stack: str, export: dict[str, Any]) -> dict[str, Any]:
    """The DIY backend's checkpoint shape for the same deployment."""
    return {"version": SUPPORTED_VERSION,
            "checkpoint": {"stack": f"organization/{project}/{stack}", "latest": export["deployment"]}}


def load_states(state_files: tuple[Path, ...] = (), backend: Optional[str] = None, stack: Optional[str] = None,
                endpoint_url: Optional[str] = None, profile: Optional[str] = None) -> list[StackState]:
    """What `drift --state FILE... | --backend URL --stack NAME` asks for."""
    if state_files and backend:
        raise LuxguardError("give either --state FILE or --backend URL --stack NAME, not both")
    if backend:
        return [load_backend(backend, stack, endpoint_url, profile)]
    if not state_files:
        raise LuxguardError("no stack state: pass --state FILE (from `pulumi stack export`) or "
                            "--backend file://DIR|s3://BUCKET with --stack NAME")
    return [load_state_file(Path(f), stack) for f in state_files]
