"""One boto3 client per (service, region), configured once, with every API call counted.

Every successful answer is checked before it is believed (scanners.answers).
Counting uses botocore events on each client:
- `before-call.<service>.<Operation>`: one logical API call (what the code asked for);
- `before-send.<service>.<Operation>`: one HTTP attempt, so retries show up as
  `http_requests - api_calls` for the same operation.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config

from luxguard.core.errors import LuxguardError
from scanners.answers import check_answer
from scanners.calls import html_error_page_as_status

# botocore's `max_attempts` counts retries: 5 means 1 attempt + up to 5 retries (6 HTTP requests).
MAX_ATTEMPTS = 5
# The AWS SDKs' own setting, total attempts per call (1 = no retry), replaces it when set.
ATTEMPTS_ENV = "AWS_MAX_ATTEMPTS"
# Seconds to wait for an answer before the attempt counts as failed (and is retried).
READ_TIMEOUT = 60


def call_retries() -> dict[str, Any]:
    """botocore's retries of one API call: MAX_ATTEMPTS retries, or AWS_MAX_ATTEMPTS attempts in all
    (an organisation's retry budget is these times the unit's own retries, see org_scan.RetryPolicy)."""
    given = os.environ.get(ATTEMPTS_ENV)
    if given is None:
        return {"mode": "standard", "max_attempts": MAX_ATTEMPTS}
    if not given.strip().isdigit() or int(given) < 1:
        raise LuxguardError(f"{ATTEMPTS_ENV}={given!r}: give the attempts per API call as a whole number, 1 or more")
    return {"mode": "standard", "total_max_attempts": int(given)}


def _operation_key(event_name: str) -> str:
    """'before-call.s3.GetBucketPolicy' -> 's3.GetBucketPolicy'."""
    return ".".join(event_name.split(".")[1:3])


class ClientFactory:
    """Thread-safe client cache shared by all collectors of one scan."""

    def __init__(self, session: boto3.Session, endpoint_url: Optional[str], max_workers: int = 8):
        self.session = session
        self.endpoint_url = endpoint_url
        self.max_workers = max_workers
        self.api_calls: Counter[str] = Counter()
        self.http_requests: Counter[str] = Counter()
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str, single_attempt: bool = False) -> Any:
        """The cached client; `single_attempt` for probes that must fail fast (no retries)."""
        key = (service, region, single_attempt)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._create(service, region, single_attempt)
            return self._clients[key]

    def _create(self, service: str, region: str, single_attempt: bool) -> Any:
        config = Config(
            retries={"mode": "standard", "total_max_attempts": 1} if single_attempt
            else call_retries(),
            max_pool_connections=max(10, self.max_workers),
            connect_timeout=5 if single_attempt else 60,
            read_timeout=READ_TIMEOUT,
        )
        client = self.session.client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=config
        )
        client.meta.events.register("before-call.*.*", self._count_call)
        client.meta.events.register("before-send.*.*", self._count_request)
        client.meta.events.register("after-call.*.*", check_answer)
        client.meta.events.register("before-parse", html_error_page_as_status, unique_id="luxguard-html-error-page")
        if service == "s3control" and self.endpoint_url:
            client.meta.events.register("before-sign.s3-control.*", self._strip_account_prefix)
        return client

    def _count_call(self, event_name: str, **_: Any) -> None:
        with self._lock:
            self.api_calls[_operation_key(event_name)] += 1

    def _count_request(self, event_name: str, **_: Any) -> None:
        with self._lock:
            self.http_requests[_operation_key(event_name)] += 1

    def _strip_account_prefix(self, request: Any, **_: Any) -> None:
        """S3 Control's endpoint rules prepend '<account>.' to the host, even to a custom
        endpoint (http://123456789012.127.0.0.1:5000 does not resolve); send the request
        to the endpoint the user gave instead."""
        wanted = urlsplit(self.endpoint_url or "").netloc
        parts = urlsplit(request.url)
        if wanted and parts.netloc != wanted and parts.netloc.endswith("." + wanted):
            request.url = urlunsplit(parts._replace(netloc=wanted))
