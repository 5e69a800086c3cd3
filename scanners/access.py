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

from scanners.calls import error_code
from scanners.clients import ClientFactory

CREDENTIAL_ERRORS = {
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
    "AuthFailure", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
    "AccessDenied", "AccessDeniedException",
}


def open_session(profile: Optional[str] = None, region: Optional[str] = None) -> boto3.Session:
    """A boto3 session; an unknown --profile is a user error, not a traceback."""
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise LuxguardError(f"AWS profile '{profile}' not found in the AWS config files ({error})") from error


def _where(clients: ClientFactory, region: str) -> str:
    endpoint = clients.endpoint_url or f"the AWS endpoints of {region}"
    profile = clients.session.profile_name or "default"
    return f"{endpoint} (profile '{profile}', region {region})"


def check_access(clients: ClientFactory, region: str) -> str:
    """The account id (STS GetCallerIdentity, no retries) or LuxguardError naming the target."""
    where = _where(clients, region)
    try:
        sts = clients.client("sts", region, single_attempt=True)
        return sts.get_caller_identity()["Account"]
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise LuxguardError(f"cannot reach the cloud endpoint {where}: {error}") from error
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
