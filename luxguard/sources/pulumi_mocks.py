"""The resource monitor a captured program talks to: it records, and answers like a preview.

It runs in luxguard's process behind a gRPC server (pulumi_monitor_server), never in the
program's, and subclasses pulumi's `MockMonitor` but answers registrations, reads and invokes
itself, straight from the wire format: nothing is deserialised into SDK objects, and every
recorded input is plain data (a Resource input becomes its id, an Asset its path/text/uri), so a
capture always saves as JSON. The capture is what this monitor received, nothing the program
says about itself.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Optional
from urllib.parse import unquote, urlparse

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import mocks
from pulumi.runtime.proto import resource_pb2

from luxguard.sources.pulumi_capture import (
    DEFAULT_ACCOUNT,
    PHYSICAL_NAME_INPUT,
    PROVIDER_PREFIX,
    Capture,
    CapturedResource,
)
from luxguard.sources.pulumi_invokes import answer
from luxguard.core.unknowns import carries_placeholder
from luxguard.sources.pulumi_placeholders import resource_outputs, site_for

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"           # pulumi's wire value for "not known yet"
SPECIAL_SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
GET_RESOURCE = "pulumi:pulumi:getResource"


class _Decoder:
    """protobuf Struct -> plain Python, remembering whether an unknown value was met."""

    def __init__(self) -> None:
        self.unknown = False

    def struct(self, struct: struct_pb2.Struct) -> dict[str, Any]:
        return {key: self.value(value) for key, value in struct.fields.items()}

    def value(self, value: struct_pb2.Value) -> Any:
        kind = value.WhichOneof("kind")
        if kind == "string_value":
            if value.string_value == UNKNOWN:
                self.unknown = True
                return None
            return value.string_value
        if kind == "number_value":
            return value.number_value
        if kind == "bool_value":
            return value.bool_value
        if kind == "list_value":
            return [self.value(v) for v in value.list_value.values]
        if kind == "struct_value":
            return self.special(self.struct(value.struct_value))
        return None

    def special(self, data: dict[str, Any]) -> Any:
        sig = data.pop(SPECIAL_SIG, None)
        if sig in (SECRET_SIG, OUTPUT_SIG):
            if sig == OUTPUT_SIG and "value" not in data:
                self.unknown = True
            return data.get("value")
        if sig == RESOURCE_SIG:
            return data.get("id") or data.get("urn")
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return {k: v for k, v in data.items() if k in ("path", "text", "uri", "assets")}
        return data


def decode_inputs(struct: struct_pb2.Struct) -> tuple[dict[str, Any], list[str]]:
    """Plain inputs and the top-level keys whose value is (or contains) something only a
    deployment knows: an unknown (a StackReference output, ...) or a marked placeholder."""
    inputs: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in struct.fields.items():
        decoder = _Decoder()
        inputs[key] = decoder.value(value)
        if decoder.unknown or carries_placeholder(inputs[key]):
            unknown.append(key)
    return inputs, sorted(unknown)


def _struct(data: dict[str, Any], base: Optional[struct_pb2.Struct] = None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if base is not None:
        struct.CopyFrom(base)
    struct.update(data)
    return struct


class _NoMocks(mocks.Mocks):
    """MockMonitor wants a Mocks; every call it would make is answered by CaptureMonitor itself."""

    def call(self, args: mocks.MockCallArgs):
        raise NotImplementedError(args.token)

    def new_resource(self, args: mocks.MockResourceArgs):
        raise NotImplementedError(args.typ)


class CaptureMonitor(mocks.MockMonitor):
    """Records what the program registers (declared), reads (`Resource.get`, existing) and
    which components run remotely; answers with placeholders (see pulumi_placeholders)."""

    def __init__(self, project: str, stack: str, config: dict[str, Any], stack_outputs: dict[str, dict[str, Any]]):
        super().__init__(_NoMocks())
        self.project = project
        self.stack = stack
        self.config = config
        self.stack_outputs = stack_outputs
        self.account = str(config.get("luxguard:accountId") or DEFAULT_ACCOUNT)
        self.declared: list[CapturedResource] = []
        self.existing: list[CapturedResource] = []
        self.notes: set[str] = set()
        self.provider_regions: dict[str, Optional[str]] = {}
        self._lock = threading.Lock()
        self._states: dict[str, tuple[str, struct_pb2.Struct]] = {}
        # The SDK's end of a run: the root Stack's outputs (sent even when the program raised),
        # then, only when it did not and every RPC is done, SignalAndWaitForShutdown.
        self.stack_urn: Optional[str] = None
        self.stack_outputs_registered = False
        self.shutdown_signalled = False

    @property
    def finished(self) -> bool:
        """The SDK ran the program to its end without an error, as seen from here."""
        return self.stack_outputs_registered and self.shutdown_signalled

    def capture(self, program_dir: str) -> Capture:
        """What the program declared and read, sorted: the same capture every run."""
        with self._lock:
            return Capture(project=self.project, stack=self.stack, config=self.config,
                           resources=sorted(self.declared, key=lambda r: r.urn), program_dir=program_dir,
                           existing=sorted(self.existing, key=lambda r: r.urn), notes=sorted(self.notes))

    # --- helpers -----------------------------------------------------------------------------

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """MockMonitor's URN, of this run's stack and project (the SDK's globals in this process
        are not the program's)."""
        if parent:
            type_ = parent.split("::")[2].split("$").pop() + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    def region_for(self, inputs: dict, provider: Optional[str]) -> str:
        if inputs.get("region"):
            return str(inputs["region"])
        if provider and self.provider_regions.get(provider):
            return str(self.provider_regions[provider])
        return str(self.config.get("aws:region") or "us-east-1")

    @staticmethod
    def _provider_urn(reference: str) -> Optional[str]:
        return reference.rsplit("::", 1)[0] if reference else None

    @staticmethod
    def _source(request) -> tuple[Optional[str], Optional[int]]:
        position = request.sourcePosition
        if position and position.uri:
            return unquote(urlparse(position.uri).path), position.line
        return None, None

    def _respond_state(self, urn: str, id_: str, state: struct_pb2.Struct) -> None:
        with self._lock:
            self._states[urn] = (id_, state)

    # --- the monitor's RPCs ----------------------------------------------------------------

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK:
            with self._lock:
                self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs, unknown = decode_inputs(request.object)
        provider = self._provider_urn(request.provider)
        name_input = inputs.get(PHYSICAL_NAME_INPUT.get(request.type, ""))
        physical = name_input if isinstance(name_input, str) and name_input else request.name
        placeholders: dict[str, Any] = {}
        if request.type.startswith(PROVIDER_PREFIX):
            with self._lock:
                self.provider_regions[urn] = inputs.get("region")
        elif request.custom or request.remote:
            region = self.region_for(inputs, provider)
            site = site_for(urn, request.type, physical, region, self.account)
            placeholders = resource_outputs(request.type, site, inputs, echoed=bool(request.custom))
        if request.remote:
            self.notes.add(f"component {request.type} {request.name}: a multi-language component whose children "
                           f"are created by its provider plugin and could not be seen; the policy pack checks "
                           f"them at deploy")
        file, line = self._source(request)
        resource = CapturedResource(
            urn=urn, type=request.type, name=request.name, id=physical, inputs=inputs, provider=provider,
            parent=request.parent or None, custom=bool(request.custom), source_file=file, source_line=line,
            unknown_inputs=unknown)
        # a remote component's outputs are not its inputs (awsx's `natGateways` in is a strategy,
        # out a list of NatGateway resources): only its typed placeholders go back
        state = _struct(placeholders, None if request.remote else request.object)
        id_ = physical if request.custom else ""
        self._respond_state(urn, id_, state)
        with self._lock:
            self.declared.append(resource)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=state)

    def ReadResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs, unknown = decode_inputs(request.properties)
        if request.type == STACK_REFERENCE:
            known = {**self.stack_outputs.get("", {}), **self.stack_outputs.get(request.id, {})}
            state = _struct({"name": request.id, "outputs": known, "secretOutputNames": []})
        else:
            provider = self._provider_urn(request.provider)
            site = site_for(urn, request.type, request.id, self.region_for(inputs, provider), self.account)
            state = _struct(resource_outputs(request.type, site, inputs), request.properties)
            file, line = self._source(request)
            with self._lock:
                self.existing.append(CapturedResource(
                    urn=urn, type=request.type, name=request.name, id=request.id, inputs=inputs,
                    provider=provider, parent=request.parent or None, source_file=file, source_line=line,
                    unknown_inputs=unknown))
        self._respond_state(urn, request.id, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=state)

    def Invoke(self, request):
        if request.tok == GET_RESOURCE:
            urn = _Decoder().struct(request.args).get("urn")
            with self._lock:
                id_, state = self._states[str(urn)]
            result = struct_pb2.Struct()
            result.update({"urn": urn, "id": id_})
            result.get_or_create_struct("state").CopyFrom(state)
            return resource_pb2.ResourceInvokeResponse(**{"return": result, "failures": []})
        args, _ = decode_inputs(request.args)
        provider = self._provider_urn(request.provider)
        seed = request.tok + json.dumps(args, sort_keys=True, default=str)
        site = site_for(seed, request.tok, "", self.region_for(args, provider), self.account)
        result = _struct(answer(request.tok, args, site))
        return resource_pb2.ResourceInvokeResponse(**{"return": result, "failures": []})

    def RegisterResourceOutputs(self, request):
        with self._lock:
            if request.urn and request.urn == self.stack_urn:
                self.stack_outputs_registered = True
        return empty_pb2.Empty()

    def SignalAndWaitForShutdown(self, request):
        with self._lock:
            self.shutdown_signalled = True
        return empty_pb2.Empty()

    def SupportsFeature(self, request):
        """The legacy feature query (the SDK asks GetDeploymentInfo first), as a real response:
        MockMonitor's answers with an ad-hoc object that does not serialise over gRPC."""
        from pulumi.runtime.settings import _LEGACY_FEATURE_MAPPING

        supported = self.GetDeploymentInfo(request).supportedFeatures
        return resource_pb2.SupportsFeatureResponse(hasSupport=_LEGACY_FEATURE_MAPPING.get(request.id) in supported)
