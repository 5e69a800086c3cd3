"""The embedded local cloud: moto's server on loopback, with Luxembourg's region.

Used by `luxguard demo` and the tests. It is a sandbox: nothing here talks to a real cloud.
The server binds 127.0.0.1 only, and the fake credentials it needs are set only inside the
process that starts it (see `sandbox_environment`).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from luxguard.core.errors import LuxguardError

LU = "lu-central-1"
LU_ZONES = "abc"

# What boto3 needs to talk to moto and nothing else: fake keys, no profile, no metadata service.
SANDBOX_ENV = {
    "MOTO_ALLOW_NONEXISTENT_REGION": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": LU,
    "AWS_EC2_METADATA_DISABLED": "true",   # never let the credential chain leave loopback
    "AWS_CONFIG_FILE": "/nonexistent/luxguard-sandbox-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/luxguard-sandbox-aws-credentials",
}
# Variables that could point boto3 at a real account or endpoint: removed inside the sandbox.
UNSET_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
             "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN")


def sandbox_exports(endpoint: str) -> str:
    """The shell line that points boto3 (and luxguard) at the sandbox: endpoint, fake keys, region."""
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    return " ".join([f"export AWS_ENDPOINT_URL={endpoint}", *(f"{n}={SANDBOX_ENV[n]}" for n in names)])


def check_port_free(port: int) -> None:
    """Refuse a port already in use on 127.0.0.1 with one clear line (werkzeug would fail inside
    moto's server thread, and ThreadedMotoServer.start would then wait forever)."""
    if port == 0:
        return
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as werkzeug binds
        probe.bind(("127.0.0.1", port))
    except OSError as exc:
        why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise LuxguardError(f"--port {port}: 127.0.0.1:{port} is {why}; stop what listens there "
                            f"or pick another port (--port 0 takes a free one)") from None
    finally:
        probe.close()


def register_luxembourg_region() -> None:
    """Teach moto's EC2 backend about lu-central-1 and its zones a/b/c (class data, so the
    in-process server sees it). Without it DescribeRegions omits the region and volumes
    cannot be created in lu-central-1a. Idempotent."""
    from moto.ec2.models.availability_zones_and_regions import (
        Region,
        RegionsAndZonesBackend,
        Zone,
    )

    if not any(r.name == LU for r in RegionsAndZonesBackend.regions):
        RegionsAndZonesBackend.regions.append(Region(LU, f"ec2.{LU}.amazonaws.com", "opt-in-not-required"))
    RegionsAndZonesBackend.zones[LU] = [
        Zone(region_name=LU, name=f"{LU}{letter}", zone_id=f"luc1-az{n}")
        for n, letter in enumerate(LU_ZONES, start=1)
    ]


@contextmanager
def sandbox_environment() -> Iterator[None]:
    """Fake credentials and moto's settings for the duration of the block, then restore."""
    saved = {name: os.environ.get(name) for name in (*SANDBOX_ENV, *UNSET_ENV)}
    try:
        for name in UNSET_ENV:
            os.environ.pop(name, None)
        os.environ.update(SANDBOX_ENV)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LocalCloud:
    """moto's server on 127.0.0.1 (a free port unless one is given), serving on a daemon thread.

    Not moto's ThreadedMotoServer: it binds inside its thread, where werkzeug answers a taken
    port with sys.exit, and its start() then waits forever. Here the bind happens in the
    caller's thread, so a taken port is one clear LuxguardError."""

    def __init__(self, port: int = 0):
        self.port = port
        self.server: Any = None
        self.thread: Optional[threading.Thread] = None
        self.endpoint: Optional[str] = None

    def start(self) -> str:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        check_port_free(self.port)
        os.environ["MOTO_ALLOW_NONEXISTENT_REGION"] = "true"
        register_luxembourg_region()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            self.server = make_server("127.0.0.1", self.port, DomainDispatcherApplication(create_backend_app),
                                      threaded=True, request_handler=MotoRequestHandler)
        except (OSError, SystemExit):   # werkzeug exits on a bind error (taken since our check)
            raise LuxguardError(f"--port {self.port}: the local cloud could not listen on 127.0.0.1:{self.port}; "
                                f"pick another port (--port 0 takes a free one)") from None
        host, port = self.server.server_address[:2]
        if host != "127.0.0.1":  # pragma: no cover - defensive: loopback only
            self.stop()
            raise RuntimeError(f"local cloud bound {host}, expected 127.0.0.1")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="luxguard-local-cloud")
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{port}"
        return self.endpoint

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self.server is not None:
            self.server.shutdown()
            if self.thread is not None:
                self.thread.join()
            self.server.server_close()
            self.server, self.thread = None, None

    def __enter__(self) -> "LocalCloud":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def local_cloud(port: int = 0, reset: bool = True) -> Iterator[str]:
    """A sandboxed local cloud: yields its endpoint; env and server are cleaned up after.

    moto keeps its state per process, shared by every server in it: `reset` starts empty."""
    with sandbox_environment():
        cloud = LocalCloud(port)
        endpoint = cloud.start()
        try:
            if reset:
                cloud.reset()
            yield endpoint
        finally:
            cloud.stop()
