"""A customer-managed KMS key: what every bucket holding personal data is encrypted with.

Policy: "How Does LuxCloud Protect the Personal Data it Holds?" (GDPR Art. 32(1)(a)).
Customer-managed (not AWS-managed) so that its policy, rotation and region are ours.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

from stacks.errors import StackConfigError
from stacks.pinning import approval_tags, require_pinned_provider
from stacks.settings import account_id_from_config, check_account_id

_ALIAS_NAME = re.compile(r"^[a-zA-Z0-9/_-]{1,200}$")


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """`alias` is the name after `alias/`; `account_id` defaults to config `luxguard:accountId`."""

    alias: str
    account_id: Optional[str] = None
    description: str = "luxguard: encrypts personal data at rest"
    deletion_window_in_days: int = 30
    tags: Mapping[str, str] = field(default_factory=dict)


def key_policy(account_id: str) -> str:
    """Key policy delegating use to the account's own IAM principals and no one else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "luxguard-key-policy",
            "Statement": [
                {
                    "Sid": "AllowAccountPrincipalsOnly",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        sort_keys=True,
    )


class EncryptionKey(pulumi.ComponentResource):
    """KMS key (rotation on, single-region, 30-day deletion window) and its alias."""

    key: aws.kms.Key
    alias: aws.kms.Alias
    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: str

    def __init__(
        self, name: str, args: EncryptionKeyArgs, *, region: str, opts: Optional[pulumi.ResourceOptions]
    ) -> None:
        provider, pin = require_pinned_provider(f"EncryptionKey {name}", region, opts)
        if args.alias.startswith(("alias/", "aws/")) or not _ALIAS_NAME.match(args.alias):
            raise StackConfigError(
                f"EncryptionKey {name}: alias {args.alias!r} is invalid: give the name without "
                "'alias/', not starting with 'aws/', letters, digits, '/', '_' and '-' only"
            )
        if not 7 <= args.deletion_window_in_days <= 30:
            raise StackConfigError(
                f"EncryptionKey {name}: deletion_window_in_days must be 7..30, got {args.deletion_window_in_days}"
            )
        account_id = check_account_id(args.account_id) if args.account_id else account_id_from_config()
        super().__init__("luxguard:index:EncryptionKey", name, None, opts)

        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self._dedicated_to: Optional[str] = None
        self._users: list[str] = []
        self.alias_name = f"alias/{args.alias}"
        self.key = aws.kms.Key(
            name,
            description=args.description,
            enable_key_rotation=True,
            # A multi-region key can be replicated to another region, outside Luxembourg.
            multi_region=False,
            deletion_window_in_days=args.deletion_window_in_days,
            policy=key_policy(account_id),
            tags={**args.tags, **approval_tags(pin)},
            opts=child,
        )
        self.alias = aws.kms.Alias(name, name=self.alias_name, target_key_id=self.key.key_id, opts=child)
        self.arn = self.key.arn
        self.key_id = self.key.key_id
        self.region = region
        self.register_outputs({"arn": self.arn, "key_id": self.key_id, "alias": self.alias_name})

    def claim(self, user: str, *, dedicated: bool) -> None:
        """Record that `user` encrypts with this key; cardholder data needs a key of its own
        (controls.md, classification), so a dedicated key refuses a second user and vice versa."""
        if self._dedicated_to is not None or (dedicated and self._users):
            holder = self._dedicated_to or ", ".join(self._users)
            raise StackConfigError(
                f"{user}: key {self.alias_name} is already used by {holder}; cardholder data "
                "needs a dedicated customer-managed key: create another EncryptionKey"
            )
        self._users.append(user)
        if dedicated:
            self._dedicated_to = user
