"""Before any work: can we reach the endpoint, and do the credentials work? One clear line if not."""

from __future__ import annotations

from typing import Optional

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from luxguard.core.errors import LuxguardError

from scanners.calls import error_code, html_error_page_as_status
from scanners.clients import ClientFactory

ENDPOINT_HINT = ("give the cloud's endpoint with --endpoint-url URL or AWS_ENDPOINT_URL "
                 "(`luxguard sandbox` starts a local one and prints the line to paste)")

CREDENTIAL_ERRORS = {
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
    "AuthFailure", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
    "AccessDenied", "AccessDeniedException",
}


def open_session(profile: Optional[str] = None, region: Optional[str] = None) -> boto3.Session:
    """A boto3 session; an unknown --profile is a user error, not a traceback."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise LuxguardError(f"AWS profile '{profile}' not found in the AWS config files ({error})") from error
    # On the session, so that every client made from it has it (ClientFactory's and the region listing's).
    session.events.register("before-parse", html_error_page_as_status, unique_id="luxguard-html-error-page")
    return session


def _where(clients: ClientFactory, region: str) -> str:
    endpoint = clients.endpoint_url or f"the AWS endpoints of {region}"
    profile = clients.session.profile_name or "default"
    return f"{endpoint} (profile '{profile}', region {region})"


def is_aws_region(session: boto3.Session, region: str) -> bool:
    """Whether AWS itself has `region` (botocore's endpoint data, no network)."""
    return any(region in session.get_available_regions("sts", partition) for partition in session.get_available_partitions())


def unreachable(clients: ClientFactory, region: str, error: Exception) -> str:
    """Which endpoint could not be reached, and what to do about it, in one line.

    Without an endpoint botocore goes to AWS's own hosts for the region, which for LuxCloud's
    lu-central-1 do not exist: say so instead of only repeating botocore's URL."""
    url = getattr(error, "kwargs", {}).get("endpoint_url") or "?"
    profile = clients.session.profile_name or "default"
    if clients.endpoint_url:
        return (f"cannot reach the cloud endpoint {clients.endpoint_url} (--endpoint-url or AWS_ENDPOINT_URL; "
                f"profile '{profile}', region {region}): nothing answered at {url}; is the cloud running there? "
                f"(`luxguard sandbox` starts a local one)")
    why = (f"{region} is not an AWS region; {ENDPOINT_HINT}" if not is_aws_region(clients.session, region)
           else "no network to it, or a proxy or firewall in the way (for another cloud, give --endpoint-url URL "
                "or AWS_ENDPOINT_URL)")
    return (f"cannot reach {url}, AWS's own endpoint for region {region} (no --endpoint-url or AWS_ENDPOINT_URL "
            f"given; profile '{profile}'): {why}")


def check_access(clients: ClientFactory, region: str) -> str:
    """The account id (STS GetCallerIdentity, no retries) or LuxguardError naming the target."""
    where = _where(clients, region)
    try:
        sts = clients.client("sts", region, single_attempt=True)
        return sts.get_caller_identity()["Account"]
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise LuxguardError(unreachable(clients, region, error)) from error
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise LuxguardError(f"no usable AWS credentials for {where}: {error}") from error
    except ProfileNotFound as error:
        raise LuxguardError(f"AWS profile not found for {where}: {error}") from error
    except NoRegionError as error:
        raise LuxguardError(f"no region configured for {where}: {error}") from error
    except ClientError as error:
        code = error_code(error)
        if code in CREDENTIAL_ERRORS:
            raise LuxguardError(f"credentials rejected by {where}: {code}") from error
        raise LuxguardError(f"cannot verify credentials at {where}: {code}") from error
    except BotoCoreError as error:
        raise LuxguardError(f"cannot talk to {where}: {error}") from error
    except (KeyError, TypeError, ValueError) as error:   # a 200 answer that is not STS's (a gateway's HTML page)
        raise LuxguardError(f"{where} did not answer GetCallerIdentity like STS (is it an AWS API endpoint?)") from error


def unknown_region_hint(failures: list[dict], endpoint_url: Optional[str]) -> Optional[str]:
    """When a custom endpoint failed every listing of a region with HTTP 5xx, the likeliest cause
    is a server that does not know the region (a plain `moto_server` has no lu-central-1):
    one line saying so, or None. `failures` are ListingFailure.to_dict()s."""
    if not endpoint_url:
        return None
    by_region: dict[str, list[str]] = {}
    for failure in failures:
        if failure.get("region"):
            by_region.setdefault(failure["region"], []).append(str(failure.get("code", "")))
    broken = sorted(r for r, codes in by_region.items() if codes and all(c.startswith("5") for c in codes))
    if not broken:
        return None
    return (f"{endpoint_url} answered HTTP 5xx to the listings of {', '.join(broken)}: does it know "
            f"{'these regions' if len(broken) > 1 else 'this region'}? A plain `moto_server` does not have "
            f"lu-central-1 (start it with MOTO_ALLOW_NONEXISTENT_REGION=true, or use `luxguard sandbox`)")
