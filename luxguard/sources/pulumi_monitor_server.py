"""The resource monitor as a gRPC server in luxguard's process: the trust model of the Pulumi engine.

Under `pulumi preview` the program never holds the list of its own registrations: it sends them
over gRPC to the engine's resource monitor. luxguard does the same. The program's child gets an
address on 127.0.0.1; CaptureMonitor (pulumi_mocks) answers there, in the parent, and the capture
is built from what it received. Whatever the program does in its own process (forge a result
file, monkeypatch luxguard or the SDK, `os._exit`) it can only declare resources, never remove
or rewrite one it sent.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import grpc
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import resource_pb2_grpc

from luxguard.core.errors import LuxguardError
from luxguard.sources.pulumi_mocks import CaptureMonitor

# The SDK's default executor (min(32, cores + 4) threads) is how many registrations can be in
# flight at once; a few more threads keep the last ones from queueing behind a slow Invoke.
WORKERS = 16
STOP_GRACE = 1.0   # seconds the server waits for an RPC in flight when the run is over
# Every RPC the Python SDK makes of the monitor; Call and StreamInvoke (methods of remote
# components) stay UNIMPLEMENTED, which the SDK reports as the program's error.
SERVED = ("GetDeploymentInfo", "SupportsFeature", "Invoke", "ReadResource", "ExistsResource", "RegisterResource",
          "RegisterResourceOutputs", "RegisterStackTransform", "RegisterStackInvokeTransform",
          "RegisterResourceHook", "RegisterErrorHook", "RegisterPackage", "SignalAndWaitForShutdown")


class MonitorServicer(resource_pb2_grpc.ResourceMonitorServicer):
    """gRPC's servicer interface over CaptureMonitor; a failure of the monitor is luxguard's own
    bug, kept in `failures` so the parent words it as such whatever the program then reports."""

    def __init__(self, monitor: CaptureMonitor):
        self.monitor = monitor
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def _answer(self, method: str, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return getattr(self.monitor, method)(request)
        except Exception as exc:  # noqa: BLE001 - recorded, then the RPC fails in the program
            with self._lock:
                self.failures.append(f"{method}: {type(exc).__name__}: {exc}")
            context.abort(grpc.StatusCode.INTERNAL, f"luxguard's resource monitor failed in {method}: {exc}")


def _forward(method: str) -> Callable[[MonitorServicer, Any, grpc.ServicerContext], Any]:
    def rpc(self: MonitorServicer, request: Any, context: grpc.ServicerContext) -> Any:
        return self._answer(method, request, context)

    rpc.__name__ = method
    return rpc


for _method in SERVED:
    setattr(MonitorServicer, _method, _forward(_method))


@contextlib.contextmanager
def serve(monitor: CaptureMonitor) -> Iterator[tuple[str, MonitorServicer]]:
    """Serve `monitor` on a fresh port of 127.0.0.1 for one program run: (address, servicer).
    The server is stopped however the block ends (timeout, crash, the program's `os._exit`)."""
    server = grpc.server(ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="luxguard-monitor"),
                         options=_GRPC_CHANNEL_OPTIONS)
    servicer = MonitorServicer(monitor)
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(servicer, server)
    try:
        port = server.add_insecure_port("127.0.0.1:0")
    except RuntimeError as exc:
        port, reason = 0, str(exc)
    else:
        reason = "no port free"
    if not port:
        raise LuxguardError(f"cannot start the resource monitor on 127.0.0.1 ({reason})")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        server.stop(STOP_GRACE).wait()
