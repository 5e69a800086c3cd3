"""Answering "which region is this KMS key in, and is it customer-managed?" for every collector.

The KMS collector fills the index for the scanned regions; a key outside them (or referenced
by an alias the index does not know) is resolved with one DescribeKey, cached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from scanners import arns
from scanners.calls import describe_error
from scanners.clients import ClientFactory

AWS_ALIAS_PREFIX = "alias/aws/"


@dataclass(frozen=True)
class KeyInfo:
    arn: Optional[str]
    region: Optional[str]
    customer_managed: Optional[bool]   # None: could not tell
    error: Optional[str] = None        # why DescribeKey failed, when it did


def is_aws_managed(key_manager: Optional[str], aliases: list[str]) -> bool:
    """KeyManager AWS, or the target of an `alias/aws/...` alias (moto reports its aws/s3,
    aws/ebs... keys as KeyManager CUSTOMER; real AWS says AWS)."""
    return key_manager == "AWS" or any(a.startswith(AWS_ALIAS_PREFIX) for a in aliases)


class KeyResolver:
    """Thread-safe index of keys by (region, key id | alias name) plus lazy DescribeKey."""

    def __init__(self, clients: ClientFactory):
        self._clients = clients
        self._index: dict[tuple[str, str], KeyInfo] = {}
        self._lock = threading.Lock()
        self._describing: dict[tuple[str, str], threading.Lock] = {}

    def add(self, region: str, key_id: str, arn: str, customer_managed: bool, aliases: list[str]) -> None:
        info = KeyInfo(arn=arn, region=region, customer_managed=customer_managed)
        with self._lock:
            for name in [key_id, *aliases]:
                self._index[(region, name)] = info

    def resolve(self, reference: Optional[str], default_region: Optional[str]) -> Optional[KeyInfo]:
        """KeyInfo for an ARN, key id, alias name or alias ARN; None for no reference."""
        if not reference:
            return None
        region = arns.region_of(reference) or default_region
        name = arns.resource_part(reference)
        name = name[len("key/"):] if name.startswith("key/") else name
        if not region:
            return KeyInfo(arn=None, region=None, customer_managed=None)
        key = (region, name)
        with self._lock:
            if key in self._index:
                return self._index[key]
            key_lock = self._describing.setdefault(key, threading.Lock())
        with key_lock:  # each unknown key is described once per scan, others are not blocked
            with self._lock:
                if key in self._index:
                    return self._index[key]
            info = self._describe(reference, region, name)
            with self._lock:
                self._index[key] = info
            return info

    def _describe(self, reference: str, region: str, name: str) -> KeyInfo:
        """One DescribeKey; failures give what the reference itself tells (region of an ARN)."""
        aws_managed = name.startswith(AWS_ALIAS_PREFIX)
        fallback = KeyInfo(   # an AWS-managed key (alias/aws/<service>) is in the region that uses it
            arn=reference if arns.is_arn(reference) and "key/" in reference else None,
            region=arns.region_of(reference) or (region if aws_managed else None),
            customer_managed=False if aws_managed else None,
        )
        try:
            meta = self._clients.client("kms", region).describe_key(KeyId=reference)["KeyMetadata"]
        except (ClientError, BotoCoreError) as error:
            return replace(fallback, error=describe_error(error))
        aws_managed = is_aws_managed(meta.get("KeyManager"), [name])
        return KeyInfo(arn=meta.get("Arn"), region=arns.region_of(meta.get("Arn")) or region,
                       customer_managed=not aws_managed)


def key_properties(info: Optional[KeyInfo], reference: Optional[str]) -> dict:
    """The kms_key_id / kms_key_region / customer_managed_key triple used by several types."""
    return {
        "kms_key_id": reference,
        "kms_key_region": info.region if info else None,
        "customer_managed_key": info.customer_managed if info else False,
    }


def key_errors(info: Optional[KeyInfo], reference: Optional[str]) -> dict[str, str]:
    """What a key that could not be described leaves undecided: its region (unless its ARN
    says it) and whether it is customer-managed; as collection errors for those properties."""
    if info is None or info.error is None:
        return {}
    unknown = [name for name, value in (("kms_key_region", info.region), ("customer_managed_key", info.customer_managed))
               if value is None]
    return {name: f"key {reference}: {info.error}" for name in unknown}


def resolved_key(resource: Any, keys: KeyResolver, reference: Optional[str], region: str) -> dict:
    """`key_properties` of the key `reference` names, after recording on `resource` what a key
    that could not be described leaves undecided (so rules on it give `error`, not a verdict)."""
    info = keys.resolve(reference, region)
    resource.collection_errors.update(key_errors(info, reference))
    return key_properties(info, reference)
