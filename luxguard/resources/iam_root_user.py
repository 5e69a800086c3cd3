"""AWS::IAM::RootUser: the account's root user (no CloudFormation type exists; the name follows the
model's convention). Whether it has access keys (LUX-ACC-015) and MFA is known only to the live
account (GetAccountSummary): no IaC declares root credentials, so it has no Pulumi, Terraform or
CloudFormation form."""

from __future__ import annotations

from luxguard.resources.base import LiveCollector, ResourceType

DESCRIPTOR = ResourceType(
    cfn_type="AWS::IAM::RootUser",
    kind="root user",
    properties={"access_keys_present": "bool", "mfa_enabled": "bool"},
    live=LiveCollector("scanners.iam", "collect_root", scope="global", listing="iam account summary"),
)
