"""Region pinning: personal data stays in the pinned country unless an approval says otherwise.

Policy: "Does LuxCloud Transfer Personal Data outside of Luxembourg?" (GDPR Art. 44-49).
Residency is decided by the location catalogue (region -> country), never by region name;
an unknown region is outside. Components only accept a provider built here, so the region
they deploy to is known when they are constructed, not after deployment.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import pulumi
import pulumi_aws as aws

from luxguard.core.locations import DEFAULT_PINNED_COUNTRY, load_locations

from stacks.errors import StackConfigError

if TYPE_CHECKING:
    from stacks.settings import StackSettings

# Services the reference stacks talk to; all are redirected to a private cloud's endpoint.
ENDPOINT_SERVICES = ("s3", "kms", "ec2", "rds", "dynamodb", "sts", "iam", "cloudwatchlogs")


@dataclass(frozen=True)
class Pin:
    """What a pinned provider was checked against: its region and the approval, if any."""

    region: str
    country: Optional[str]
    approval: Optional[str]
    pinned_country: str = DEFAULT_PINNED_COUNTRY


# Provider object -> Pin. Weak so that tests creating many providers do not leak them.
_PINS: "weakref.WeakKeyDictionary[aws.Provider, Pin]" = weakref.WeakKeyDictionary()


def ensure_region_allowed(
    region: str,
    pinned_country: str = DEFAULT_PINNED_COUNTRY,
    approval: Optional[str] = None,
) -> Pin:
    """Return the region's Pin, or raise StackConfigError if it is outside `pinned_country`
    (unknown regions are outside) and no approval id is given."""
    if not region:
        raise StackConfigError("no region given: set luxguard:region in Pulumi.<stack>.yaml")
    country = load_locations().country_of(region)
    if country != pinned_country and not approval:
        where = f"in {country}" if country else "not in the location catalogue (treated as outside)"
        raise StackConfigError(
            f"region {region} is {where}; personal data must stay in {pinned_country} "
            f"unless the customer approved the transfer in writing: deploy to a {pinned_country} "
            f"region, or record the approval and set luxguard:approval in Pulumi.<stack>.yaml"
        )
    return Pin(region=region, country=country, approval=approval or None, pinned_country=pinned_country)


def pinned_provider(
    name: str,
    region: str,
    *,
    endpoint: Optional[str] = None,
    approval: Optional[str] = None,
    pinned_country: str = DEFAULT_PINNED_COUNTRY,
    opts: Optional[pulumi.ResourceOptions] = None,
) -> aws.Provider:
    """An explicit aws.Provider for `region`, refused if the region is not allowed.

    With `endpoint` (an AWS-API-compatible private cloud, or moto locally) every service
    the stacks use is sent there, and the checks that only make sense on AWS are skipped.
    """
    pin = ensure_region_allowed(region, pinned_country, approval)
    endpoint_args: dict = {}
    if endpoint:
        endpoint_args = dict(
            endpoints=[{service: endpoint for service in ENDPOINT_SERVICES}],
            s3_use_path_style=True,
            skip_credentials_validation=True,
            skip_requesting_account_id=True,
            skip_region_validation=True,
            skip_metadata_api_check=True,
        )
    provider = aws.Provider(name, region=region, opts=opts, **endpoint_args)
    _PINS[provider] = pin
    return provider


def pinned_provider_from_settings(
    settings: "StackSettings", name: str = "pinned", pinned_country: str = DEFAULT_PINNED_COUNTRY
) -> aws.Provider:
    """The pinned provider for a stack's config (`luxguard:region|endpoint|approval`)."""
    return pinned_provider(
        name,
        settings.region,
        endpoint=settings.endpoint,
        approval=settings.approval,
        pinned_country=pinned_country,
    )


def require_pinned_provider(
    component: str, region: str, opts: Optional[pulumi.ResourceOptions]
) -> tuple[aws.Provider, Pin]:
    """The provider from a component's `opts`, checked: present, pinned, same region, and
    the region allowed (`ensure_region_allowed`).

    Every component calls this first, so no child resource can land on an ambient default
    provider whose region comes from the environment.
    """
    provider = opts.provider if opts is not None else None
    if provider is None:
        raise StackConfigError(
            f"{component}: no provider given: pass "
            f"opts=pulumi.ResourceOptions(provider=pinned_provider(...)) so that the region is explicit"
        )
    if not isinstance(provider, aws.Provider):
        raise StackConfigError(f"{component}: the provider must be an aws.Provider, got {type(provider).__name__}")
    pin = _PINS.get(provider)
    if pin is None:
        raise StackConfigError(
            f"{component}: the provider was not built by stacks.pinning.pinned_provider(), so its "
            f"region cannot be checked: build it with pinned_provider(name, region)"
        )
    if pin.region != region:
        raise StackConfigError(
            f"{component}: region {region} does not match the provider's region {pin.region}: "
            f"pass region={pin.region!r} or use a provider pinned to {region}"
        )
    # Checked again (not only when the provider was built): the component's own guarantee.
    return provider, ensure_region_allowed(region, pin.pinned_country, pin.approval)


def approval_tags(pin: Pin) -> dict[str, str]:
    """Tag naming the approval that covers a resource outside the pinned country, if any."""
    return {"luxguard:approval": pin.approval} if pin.approval else {}
