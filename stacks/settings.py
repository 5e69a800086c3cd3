"""Stack configuration (`luxguard:*` keys in Pulumi.<stack>.yaml), read and checked once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlparse

import pulumi

from stacks.errors import StackConfigError

CONFIG_NAMESPACE = "luxguard"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def _config(config: Optional[pulumi.Config]) -> pulumi.Config:
    return config if config is not None else pulumi.Config(CONFIG_NAMESPACE)


def _require(config: pulumi.Config, key: str, example: str) -> str:
    value = config.get(key)
    if not value:
        raise StackConfigError(
            f"missing stack config {CONFIG_NAMESPACE}:{key}: "
            f"set {CONFIG_NAMESPACE}:{key}: {example} in Pulumi.<stack>.yaml"
        )
    return value


def account_id_from_config(config: Optional[pulumi.Config] = None) -> str:
    """The AWS account id from `luxguard:accountId`.

    Read from config, never from sts:GetCallerIdentity, so that a stack evaluates offline
    under mocks exactly as it deploys.
    """
    return check_account_id(_require(_config(config), "accountId", '"111122223333"'))


def check_account_id(account_id: str) -> str:
    if not _ACCOUNT_ID.match(str(account_id)):
        raise StackConfigError(
            f"account id {account_id!r} is not a 12-digit AWS account id: "
            f'set luxguard:accountId: "111122223333" (quoted) in Pulumi.<stack>.yaml'
        )
    return str(account_id)


@dataclass(frozen=True)
class StackSettings:
    """Everything a stack program needs from its config, validated up front."""

    region: str
    account_id: str
    name_prefix: str
    approval: Optional[str] = None
    endpoint: Optional[str] = None

    @classmethod
    def from_config(cls, config: Optional[pulumi.Config] = None) -> "StackSettings":
        """Reads `luxguard:region|accountId|namePrefix` (required), `approval|endpoint` (optional).

        `aws:region` is deliberately ignored: the pinned region is ours to decide, not the
        ambient provider's.
        """
        cfg = _config(config)
        endpoint = cfg.get("endpoint") or None
        if endpoint is not None:
            parsed = urlparse(endpoint)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise StackConfigError(
                    f"luxguard:endpoint {endpoint!r} is not an http(s) URL: "
                    "set e.g. luxguard:endpoint: https://api.lu-central-1.luxcloud.lu"
                )
        return cls(
            region=_require(cfg, "region", "lu-central-1"),
            account_id=account_id_from_config(cfg),
            name_prefix=_require(cfg, "namePrefix", "luxcloud-prod"),
            approval=cfg.get("approval") or None,
            endpoint=endpoint,
        )
