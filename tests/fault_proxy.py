"""A fault-injecting HTTP proxy on loopback, in front of the moto server.

luxguard talks to the proxy (`--endpoint-url`); the proxy forwards every request to moto,
except the requests of the (service, operation) pairs it is told to break, which get the
fault instead: a refusal, throttling, a reset connection, a delay past the client's read
timeout, or a 200 whose body is not the API's answer.

The operation is read the way AWS reads it: the SigV4 credential scope names the service,
`X-Amz-Target` (JSON APIs), `Action=` (query and EC2 APIs) or the method, path and
sub-resource (S3) name the operation.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

JSON_SERVICES = {"kms", "dynamodb", "cloudtrail", "lambda", "elasticfilesystem", "ecr", "backup", "tagging", "es", "eks", "firehose", "ecs", "glacier"}
# REST services (JSON, and CloudFront's XML): (method, path pattern) -> operation.
REST_ROUTES = {"cloudfront": ((r"GET /2020-05-31/distribution", "ListDistributions"),),
               "glacier": ((r"GET /-/vaults", "ListVaults"),),
               "eks": ((r"GET /clusters", "ListClusters"), (r"GET /clusters/[^/]+", "DescribeCluster")),
               "backup": ((r"GET /backup-vaults", "ListBackupVaults"), (r"GET /backup/plans/[^/]+", "GetBackupPlan"),
                          (r"GET /backup/plans", "ListBackupPlans"), (r"GET /tags/.+", "ListTags")),
               # OpenSearch signs as `es`
               "es": ((r"GET /2021-01-01/domain", "ListDomainNames"),
                      (r"POST /2021-01-01/opensearch/domain-info", "DescribeDomains"),
                      (r"GET /2021-01-01/tags", "ListTags"))}
FAULTS = ("denied", "throttled", "reset", "delay", "html", "foreign_xml", "foreign_json")
# S3 sub-resources (GET /bucket?<key>) -> operation.
S3_SUBRESOURCES = {
    "location": "GetBucketLocation", "encryption": "GetBucketEncryption", "publicAccessBlock": "GetPublicAccessBlock",
    "policy": "GetBucketPolicy", "ownershipControls": "GetBucketOwnershipControls", "acl": "GetBucketAcl",
    "versioning": "GetBucketVersioning", "logging": "GetBucketLogging",
    "lifecycle": "GetBucketLifecycleConfiguration", "object-lock": "GetObjectLockConfiguration",
    "replication": "GetBucketReplication", "tagging": "GetBucketTagging",
}
SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request")
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
             b"<body><h1>Bad Gateway</h1><p>The upstream service is unavailable.</p></body></html>")
FOREIGN_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<health xmlns="urn:example:gateway"><status>ok</status></health>'
FOREIGN_JSON = b'{"status": "ok", "gateway": "edge-1"}'


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[str, str]:
    """(service, operation) of one AWS request, e.g. ('ec2', 'DescribeSecurityGroups')."""
    scope = SCOPE.search(headers.get("authorization", ""))
    service = scope.group(2) if scope else ""
    target = headers.get("x-amz-target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if service == "lambda":   # REST: the method and path name the operation
        route = urlsplit(path).path.rstrip("/")
        if method == "GET" and route.endswith("/functions"):
            return service, "ListFunctions"
        if method == "GET" and route.endswith("/policy"):
            return service, "GetPolicy"
        return service, f"{method} {route}"
    if service == "elasticfilesystem":   # REST: the method and path name the operation
        route = urlsplit(path).path.rstrip("/")
        if method == "GET" and route.endswith("/file-systems"):
            return service, "DescribeFileSystems"
        if method == "GET" and route.endswith("/policy"):
            return service, "DescribeFileSystemPolicy"
        return service, f"{method} {route}"
    if service in REST_ROUTES:
        route = f"{method} {urlsplit(path).path.rstrip('/')}"
        return service, next((operation for pattern, operation in REST_ROUTES[service] if re.fullmatch(pattern, route)),
                             route)
    if service == "s3":
        parts = urlsplit(path)
        if parts.path.startswith("/v20180820/"):
            return "s3-control", "GetPublicAccessBlock" if parts.path.endswith("/publicAccessBlock") else "?"
        keys = parse_qs(parts.query, keep_blank_values=True)
        if parts.path in ("", "/"):
            return "s3", "ListBuckets"
        for key, operation in S3_SUBRESOURCES.items():
            if key in keys and method == "GET":
                return "s3", operation
        return "s3", f"{method} {parts.path}"
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    return service, action


def _error_body(service: str, code: str, status: int) -> tuple[int, str, bytes]:
    message = f"injected by the test proxy ({code})"
    if service in JSON_SERVICES:
        return status, "application/x-amz-json-1.1", f'{{"__type": "{code}", "message": "{message}"}}'.encode()
    if service == "ec2":
        return status, "text/xml", (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                                    f"</Error></Errors><RequestID>test</RequestID></Response>").encode()
    if service in ("s3", "s3-control"):
        return status, "application/xml", (f"<Error><Code>{code}</Code><Message>{message}</Message>"
                                           f"<RequestId>test</RequestId></Error>").encode()
    return status, "text/xml", (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
                                f"</Message></Error><RequestId>test</RequestId></ErrorResponse>").encode()


def denial(service: str) -> tuple[int, str, bytes]:
    code = {"ec2": "UnauthorizedOperation"}.get(service, "AccessDeniedException" if service in JSON_SERVICES
                                                 else "AccessDenied")
    return _error_body(service, code, 403)


def throttling(service: str) -> tuple[int, str, bytes]:
    if service in ("s3", "s3-control"):
        return _error_body(service, "SlowDown", 503)
    code = {"ec2": "RequestLimitExceeded"}.get(service, "ThrottlingException" if service in JSON_SERVICES
                                                else "Throttling")
    return _error_body(service, code, 400)


class FaultProxy:
    """`with FaultProxy(upstream) as proxy:` then `proxy.inject(kind, {(service, operation), ...})`."""

    def __init__(self, upstream: str, delay: float = 1.0):
        self.upstream = urlsplit(upstream)
        self.delay = delay
        self.kind: Optional[str] = None
        self.targets: set[tuple[str, str]] = set()
        self.hits: dict[tuple[str, str], int] = {}
        self.limit: Optional[int] = None     # faults per operation before it is forwarded again
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultProxy":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, kind: Optional[str], targets: set[tuple[str, str]] = frozenset(),
               limit: Optional[int] = None) -> None:
        """Break these operations; with `limit`, only their first `limit` requests (a burst)."""
        assert kind is None or kind in FAULTS, kind
        with self._lock:
            self.kind, self.targets, self.hits, self.limit = kind, set(targets), {}, limit

    def _fault_for(self, request: tuple[str, str]) -> Optional[str]:
        with self._lock:
            if self.kind and request in self.targets:
                if self.limit is not None and self.hits.get(request, 0) >= self.limit:
                    return None
                self.hits[request] = self.hits.get(request, 0) + 1
                return self.kind
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = operation_of(self.command, self.path, headers, body)
                fault = proxy._fault_for(request)
                if fault == "reset":
                    # RST instead of an answer: linger 0, then close
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault == "delay":
                    time.sleep(proxy.delay)
                    self.close_connection = True
                    return
                if fault in ("denied", "throttled"):
                    self._answer(*(denial if fault == "denied" else throttling)(request[0]))
                    return
                if fault in ("html", "foreign_xml", "foreign_json"):
                    content_type, page = {"html": ("text/html", HTML_PAGE),
                                          "foreign_xml": ("application/xml", FOREIGN_XML),
                                          "foreign_json": ("application/json", FOREIGN_JSON)}[fault]
                    self._answer(200, content_type, page)
                    return
                self._forward(body)

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self, body: bytes) -> None:
                upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("content-length", "transfer-encoding", "connection", "server",
                                                "date"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        return Handler
