"""What every collector of one scan shares, so that all collectors have one signature
(`collect(shared, region) -> [Resource]`) and the runner can take them from the descriptors."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from scanners.clients import ClientFactory
from scanners.keys import KeyResolver
from scanners.s3 import S3Context
from scanners.tagging import TagIndex


class Once:
    """Answers asked once per scan and shared by several listings (IAM's authorization details feed
    users, groups and roles). A failure is kept too: every listing that needs it fails alike."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, threading.Lock] = {}
        self._answers: dict[str, tuple[bool, Any]] = {}

    def __call__(self, key: str, read: Callable[[], Any]) -> Any:
        with self._lock:
            key_lock = self._keys.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._answers:
                try:
                    self._answers[key] = (True, read())
                except Exception as error:  # noqa: BLE001 - raised again to every listing that asks
                    self._answers[key] = (False, error)
        ok, value = self._answers[key]
        if not ok:
            raise value
        return value


@dataclass(frozen=True)
class Shared:
    clients: ClientFactory
    account: Optional[str]
    keys: KeyResolver
    buckets: S3Context      # the bucket inventory (locations), for trails and logging targets
    tags: TagIndex          # one Resource Groups Tagging pass per region, for types whose listings lack tags
    once: Once = field(default_factory=Once)
