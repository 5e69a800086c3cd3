"""The reference stack: what a compliant LuxCloud deployment looks like, built only from
the components in this package. `luxguard check` runs it under mocks; CI runs it per stack
config (Pulumi.production.yaml, Pulumi.local.yaml)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from stacks.encryption_key import EncryptionKey, EncryptionKeyArgs
from stacks.firewall import AllowedIngress, Firewall, FirewallArgs
from stacks.pinning import pinned_provider_from_settings
from stacks.secure_bucket import SecureBucket, SecureBucketArgs
from stacks.settings import StackSettings


def main() -> None:
    """Pinned provider, one KMS key, an access-log bucket, two data buckets, an app firewall, and
    the app's log group (its events carry client IP addresses: encrypted, kept 90 days)."""
    settings = StackSettings.from_config()
    prefix, region = settings.name_prefix, settings.region
    provider = pinned_provider_from_settings(settings)
    opts = pulumi.ResourceOptions(provider=provider)

    key = EncryptionKey(
        "data-key",
        EncryptionKeyArgs(alias=f"{prefix}-data", account_id=settings.account_id),
        region=region,
        opts=opts,
    )
    logs = SecureBucket(
        "access-logs",
        SecureBucketArgs(
            bucket_name=f"{prefix}-access-logs",
            classification=["technical"],
            is_log_bucket=True,
            account_id=settings.account_id,
        ),
        region=region,
        opts=opts,
    )
    contacts = SecureBucket(
        "customer-contacts",
        SecureBucketArgs(
            bucket_name=f"{prefix}-customer-contacts",
            classification=["contact"],
            encryption_key=key,
            log_bucket=logs,
        ),
        region=region,
        opts=opts,
    )
    invoices = SecureBucket(
        "invoices",
        SecureBucketArgs(
            bucket_name=f"{prefix}-invoices",
            classification=["billing", "accounting"],
            encryption_key=key,
            log_bucket=logs,
        ),
        region=region,
        opts=opts,
    )
    app = Firewall(
        "app",
        FirewallArgs(
            group_name=f"{prefix}-app",
            ingress=[
                AllowedIngress(port=443, cidrs=["0.0.0.0/0"], description="HTTPS from the internet"),
                AllowedIngress(port=5432, cidrs=["10.0.0.0/16"], description="PostgreSQL from the VPC"),
            ],
        ),
        region=region,
        opts=opts,
    )

    app_logs = aws.cloudwatch.LogGroup(
        "app-logs",
        name=f"/{prefix}/app",
        kms_key_id=key.arn,
        retention_in_days=90,
        tags={"data-classification": "technical"},
        opts=opts,
    )

    pulumi.export("region", region)
    pulumi.export("kmsKeyArn", key.arn)
    pulumi.export("kmsKeyAlias", key.alias_name)
    pulumi.export("accessLogsBucket", logs.bucket_name)
    pulumi.export("customerContactsBucket", contacts.bucket_name)
    pulumi.export("customerContactsBucketArn", contacts.arn)
    pulumi.export("appLogGroup", app_logs.name)
    pulumi.export("invoicesBucket", invoices.bucket_name)
    pulumi.export("invoicesBucketArn", invoices.arn)
    pulumi.export("appSecurityGroupId", app.security_group_id)
