"""Pulumi components that are compliant with the LuxCloud privacy policy by construction.

Each component refuses, in its constructor, a configuration that would break a promise of
the policy (data leaves Luxembourg, is unencrypted, is reachable from anywhere, is kept
too long or not long enough), so a non-compliant stack fails before anything is deployed.
"""

from stacks.encryption_key import EncryptionKey, EncryptionKeyArgs
from stacks.errors import StackConfigError
from stacks.firewall import AllowedEgress, AllowedIngress, Firewall, FirewallArgs
from stacks.pinning import (
    ensure_region_allowed,
    pinned_provider,
    pinned_provider_from_settings,
)
from stacks.secure_bucket import SecureBucket, SecureBucketArgs
from stacks.settings import StackSettings

__all__ = [
    "AllowedEgress",
    "AllowedIngress",
    "EncryptionKey",
    "EncryptionKeyArgs",
    "Firewall",
    "FirewallArgs",
    "SecureBucket",
    "SecureBucketArgs",
    "StackConfigError",
    "StackSettings",
    "ensure_region_allowed",
    "pinned_provider",
    "pinned_provider_from_settings",
]
