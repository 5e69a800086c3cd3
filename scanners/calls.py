"""Reading one property group: "not configured" is a value, a refused call is a recorded error."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from luxguard.core.model import Resource
from luxguard.resources import vocabulary

# The only answers that mean "this configuration does not exist" (a normal, reportable state), per
# operation, as the service documents them. Any other error, for any operation, is a failed read.
ABSENT_CODES: dict[str, frozenset[str]] = {
    "GetBucketEncryption": frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
    "GetBucketPolicy": frozenset({"NoSuchBucketPolicy"}),
    "GetPublicAccessBlock": frozenset({"NoSuchPublicAccessBlockConfiguration"}),   # S3 and S3 Control
    "GetBucketLifecycleConfiguration": frozenset({"NoSuchLifecycleConfiguration"}),
    "GetObjectLockConfiguration": frozenset({"ObjectLockConfigurationNotFoundError"}),
    "GetBucketReplication": frozenset({"ReplicationConfigurationNotFoundError"}),
    "GetBucketTagging": frozenset({"NoSuchTagSet"}),
    "GetBucketOwnershipControls": frozenset({"OwnershipControlsNotFoundError"}),
    "GetPolicy": frozenset({"ResourceNotFoundException"}),   # Lambda: a function without a resource policy
    "DescribeFileSystemPolicy": frozenset({"PolicyNotFound"}),   # EFS: a file system without a policy
    "GetRepositoryPolicy": frozenset({"RepositoryPolicyNotFoundException"}),   # ECR: a repository without one
}


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


def error_message(error: Exception) -> str:
    """The first line of the cloud's (or botocore's) message, at most 200 characters."""
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message") or str(error)
    else:
        message = str(error)
    return (message.strip().splitlines() or [""])[0][:200]


def describe_error(error: Exception) -> str:
    """'<ErrorCode>: <message>' for the resource's collection_errors."""
    return f"{error_code(error)}: {error_message(error)}"


def is_absent(error: ClientError) -> bool:
    return error_code(error) in ABSENT_CODES.get(error.operation_name, frozenset())


HTML_PAGE = (b"<!doctype html", b"<html")


def html_error_page_as_status(response_dict: dict, **_: Any) -> None:
    """botocore event `before-parse`: a 5xx answered with an HTML page (a proxy's, or a plain
    moto_server's for a region it does not know) becomes botocore's generic HTTP error.

    botocore recognises such pages only when they start with `<html>`; one that starts with
    `<!doctype html>` reaches the XML parsers, whose ResponseParserError is neither a ClientError
    nor a BotoCoreError, and escaped callers that handle both (a traceback, not an `error`).
    With the page dropped, the answer is a ClientError whose code is the HTTP status ("500"),
    retried like any 5xx and recorded like any refused call."""
    body = response_dict.get("body")
    if response_dict.get("status_code", 0) >= 500 and isinstance(body, bytes) \
            and body.lstrip()[:16].lower().startswith(HTML_PAGE):
        response_dict["body"] = b""


def read_group(resource: Resource, group: str, call: Callable[[], Any]) -> Any:
    """The API response, NOT_CONFIGURED (only for the operation's documented "absent" codes),
    or FAILED (after recording why on the resource).

    Retries (throttling, 5xx) already happened inside botocore, and the answer was checked
    (scanners.answers); what reaches here is final.
    """
    try:
        return call()
    except ClientError as error:
        if is_absent(error):
            return NOT_CONFIGURED
        resource.collection_errors[group] = describe_error(error)
        return FAILED
    except (BotoCoreError, ResponseParserError) as error:  # e.g. a 5xx HTML page after retries
        resource.collection_errors[group] = describe_error(error)
        return FAILED


def shared_read(call: Callable[[], Any]) -> tuple[Any, Optional[str]]:
    """(answer, None), or (FAILED, why) for one read that several resources depend on (each
    records the reason on its own groups)."""
    try:
        return call(), None
    except (ClientError, BotoCoreError, ResponseParserError) as error:
        return FAILED, describe_error(error)


def unreadable(resource_type: str, resource_id: str, region: Optional[str], error: Exception) -> Resource:
    """A resource that was listed but could not be read at all: every group it has is an error."""
    reason = describe_error(error)
    groups = {path.split(".")[0] for path in [*vocabulary()["common"], *vocabulary()["types"][resource_type]]}
    return Resource(type=resource_type, id=resource_id, region=region,
                    collection_errors={group: reason for group in sorted(groups)})


def tag_dict(tags: Iterable[dict] | None) -> dict[str, str]:
    """[{'Key': k, 'Value': v}] -> {k: v} (EC2, RDS, S3, DynamoDB all use this shape)."""
    return {t["Key"]: t.get("Value", "") for t in tags or [] if "Key" in t}
