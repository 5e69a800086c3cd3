"""S3 Glacier vaults: where archives are kept.

Calls per region: ListVaults (paged by marker). Tags and access policies are not read (see
luxguard/resources/glacier_vault.py).
"""

from __future__ import annotations

from luxguard.core.model import Resource, common_properties
from luxguard.resources.glacier_vault import CFN_TYPE, vault_arn

from scanners.context import Shared


def collect_vaults(shared: Shared, region: str) -> list[Resource]:
    glacier = shared.clients.client("glacier", region)
    vaults: list[dict] = []
    marker: dict[str, str] = {}
    while True:
        page = glacier.list_vaults(accountId="-", **marker)
        vaults.extend(page.get("VaultList") or [])
        if not page.get("Marker"):
            break
        marker = {"marker": page["Marker"]}
    found = []
    for vault in vaults:
        name = vault["VaultName"]
        resource = Resource(type=CFN_TYPE, id=name, region=region,
                            arn=vault.get("VaultARN") or vault_arn(region, shared.account or "", name))
        resource.properties = {**common_properties(name, region, {}), "encrypted": True}
        found.append(resource)
    return sorted(found, key=lambda r: r.id)
