"""Reading one property group: "not configured" is a value, a refused call is a recorded error."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from luxguard.core.model import Resource

# Error codes that mean "this configuration does not exist" (a normal, reportable state).
NOT_CONFIGURED_CODES = frozenset({
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchLifecycleConfiguration",
    "ObjectLockConfigurationNotFoundError",
    "ReplicationConfigurationNotFoundError",
    "NoSuchTagSet",
    "OwnershipControlsNotFoundError",
})


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOT_CONFIGURED = _Marker("NOT_CONFIGURED")
FAILED = _Marker("FAILED")


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") or "ClientError"
    return type(error).__name__


def describe_error(error: Exception) -> str:
    """'<ErrorCode>: <message>' for the resource's collection_errors."""
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message") or str(error)
    else:
        message = str(error)
    first_line = (message.strip().splitlines() or [""])[0]
    return f"{error_code(error)}: {first_line[:200]}"


def read_group(
    resource: Resource,
    group: str,
    call: Callable[[], Any],
    not_configured: Iterable[str] = NOT_CONFIGURED_CODES,
) -> Any:
    """The API response, NOT_CONFIGURED, or FAILED (after recording why on the resource).

    Retries (throttling, 5xx) already happened inside botocore; what reaches here is final.
    """
    try:
        return call()
    except ClientError as error:
        if error_code(error) in set(not_configured):
            return NOT_CONFIGURED
        resource.collection_errors[group] = describe_error(error)
        return FAILED
    except (BotoCoreError, ResponseParserError) as error:  # e.g. a 5xx HTML page after retries
        resource.collection_errors[group] = describe_error(error)
        return FAILED


def tag_dict(tags: Iterable[dict] | None) -> dict[str, str]:
    """[{'Key': k, 'Value': v}] -> {k: v} (EC2, RDS, S3, DynamoDB all use this shape)."""
    return {t["Key"]: t.get("Value", "") for t in tags or [] if "Key" in t}
