"""What every collector of one scan shares, so that all regional collectors have one signature
(`collect(shared, region) -> [Resource]`) and the runner can take them from the descriptors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from scanners.clients import ClientFactory
from scanners.keys import KeyResolver
from scanners.s3 import S3Context
from scanners.tagging import TagIndex


@dataclass(frozen=True)
class Shared:
    clients: ClientFactory
    account: Optional[str]
    keys: KeyResolver
    buckets: S3Context      # the bucket inventory (locations), for trails and logging targets
    tags: TagIndex          # one Resource Groups Tagging pass per region, for types whose listings lack tags
