"""A Terraform plan (`terraform show -json tfplan`) -> declared resources, with exact values.

A plan has every variable, count and module resolved; what it still does not know (attributes
computed at apply) is listed in `after_unknown`. Such a value that names another resource of the
plan (a bucket's `bucket = aws_s3_bucket.b.id` when the name is generated) is resolved through
the configuration's `references`, so children still fold into their parent; any other unknown
value stays unknown. Resources inside modules keep their full address (`module.x.aws_db_instance.y`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Optional

from luxguard.core.datafiles import read_text
from luxguard.core.errors import LuxguardError
from luxguard.core.unknowns import Unknown
from luxguard.sources.iac_common import Region
from luxguard.sources.terraform_hcl import TerraformResource
from luxguard.sources.terraform_types import terraform_type

APPLY_HINT = "known only after apply"
# Arguments that name another resource: resolved through the configuration's references.
LINK_ARGUMENTS = {"bucket", "target_bucket", "security_group_id", "volume_id", "snapshot_id", "kms_key_id",
                  "kms_master_key_id", "kms_key_arn", "target_key_id", "s3_bucket_name", "source_security_group_id",
                  "referenced_security_group_id", "source_snapshot_id", "key_id", "file_system_id", "image_id",
                  "source_ami_id", "source_instance_id", "destination_vault_arn", "replicate_source_db",
                  "replication_source_identifier", "global_cluster_identifier", "source_db_cluster_identifier",
                  "source_db_instance_arn", "db_instance_identifier", "db_cluster_identifier", "cluster_identifier"}
_REFERENCE = re.compile(r"^(?P<address>(?:module\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?\.)*[a-z0-9_]+\.[A-Za-z0-9_-]+"
                        r"(?:\[[^\]]+\])?)(?:\.(?P<attribute>[a-z0-9_]+))?")


def is_plan(document: Any) -> bool:
    return isinstance(document, dict) and ("planned_values" in document or
                                           ("format_version" in document and "terraform_version" in document))


def _modules(module: dict) -> Iterator[dict]:
    yield module
    for child in module.get("child_modules") or []:
        yield from _modules(child)


def _config_modules(module: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    yield prefix, module
    for name, call in (module.get("module_calls") or {}).items():
        yield from _config_modules(call.get("module") or {}, f"{prefix}module.{name}.")


def _strip_indexes(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address)


class PlanReader:
    def __init__(self, path: Path, document: dict):
        self.path = path
        self.document = document
        planned = (document.get("planned_values") or {}).get("root_module") or {}
        self.planned = [r for m in _modules(planned) for r in m.get("resources") or [] if r.get("mode") == "managed"]
        self.changes = {c.get("address"): c.get("change") or {} for c in document.get("resource_changes") or []}
        configuration = document.get("configuration") or {}
        self.providers = configuration.get("provider_config") or {}
        self.config: dict[str, tuple[str, dict]] = {}
        for prefix, module in _config_modules(configuration.get("root_module") or {}):
            for resource in module.get("resources") or []:
                self.config[prefix + str(resource.get("address"))] = (prefix, resource)
        self.ids = {str(r.get("address")): self._physical_id(r) for r in self.planned}
        self.types = {str(r.get("address")): str(r.get("type")) for r in self.planned}
        kinds = {address: terraform_type(kind) for address, kind in self.types.items()}
        self.known = set(self.ids.values()) | {k.arn(self.ids[a]) for a, k in kinds.items() if k is not None}
        self.lines = self._address_lines()

    def _address_lines(self) -> dict[str, int]:
        lines: dict[str, int] = {}
        for number, line in enumerate(read_text(self.path, "plan").splitlines(), 1):
            match = re.search(r'"address":\s*"([^"]+)"', line)
            if match:
                lines.setdefault(match.group(1), number)
        return lines

    @staticmethod
    def _physical_id(resource: dict) -> str:
        """The cloud id of a resource that exists already, else its physical name, else its address."""
        values = resource.get("values") or {}
        kind = terraform_type(str(resource.get("type")))
        name = values.get(kind.physical_name) if kind and kind.physical_name else None
        for candidate in (values.get("id"), name):
            if isinstance(candidate, str) and candidate:
                return candidate
        return str(resource.get("address"))

    # --- unknown values ---------------------------------------------------------------------------
    def _reference(self, expression: Any, prefix: str) -> Optional[str]:
        """The value an expression referring to another planned resource stands for."""
        references = expression.get("references") if isinstance(expression, dict) else None
        for reference in references or []:
            match = _REFERENCE.match(str(reference))
            if not match or str(reference).split(".")[0] in ("var", "local", "data", "each", "count", "path"):
                continue
            address = prefix + match.group("address")
            candidates = [address, f"{address}[0]"]
            target = next((a for a in candidates if a in self.ids), None)
            if target is None:
                continue
            kind = terraform_type(self.types[target])
            attribute = match.group("attribute") or "id"
            return kind.arn(self.ids[target]) if attribute == "arn" and kind else self.ids[target]
        return None

    def _fill(self, values: Any, unknown: Any, expressions: Any, prefix: str, where: str) -> Any:
        """Values with unknowns marked, and arguments naming another resource resolved to it."""
        if unknown is True:
            if expressions is None and values is None:
                return None     # computed by the provider, never configured (arn, endpoint, a default key id)
            resolved = self._reference(expressions, prefix)
            return resolved if resolved is not None else Unknown(f"{where} is {APPLY_HINT}")
        if isinstance(unknown, dict) or isinstance(values, dict):
            unknown = unknown if isinstance(unknown, dict) else {}
            values = dict(values) if isinstance(values, dict) else {}
            for key in sorted(set(unknown) | set(values)):
                expression = expressions.get(key) if isinstance(expressions, dict) else None
                if unknown.get(key) is True and expression is None and values.get(key) is None:
                    values.pop(key, None)
                    continue
                if key in LINK_ARGUMENTS and isinstance(values.get(key), str) and values[key] not in self.known:
                    resolved = self._reference(expression, prefix)
                    values[key] = resolved if resolved is not None else values[key]
                values[key] = self._fill(values.get(key), unknown.get(key), expression, prefix, f"{where}.{key}")
            return values
        if isinstance(values, list) or isinstance(unknown, list):
            values = values if isinstance(values, list) else []
            unknown = unknown if isinstance(unknown, list) else []
            exprs = expressions if isinstance(expressions, list) else []
            size = max(len(values), len(unknown))
            return [self._fill(values[i] if i < len(values) else None, unknown[i] if i < len(unknown) else None,
                               exprs[i] if i < len(exprs) else None, prefix, f"{where}[{i}]") for i in range(size)]
        return values

    # --- regions ------------------------------------------------------------------------------
    def _region(self, address: str, values: dict, after_unknown: dict) -> Region:
        if isinstance(values.get("region"), str) and values["region"]:
            return values["region"]
        if after_unknown.get("region") is True:
            return Unknown(f"{address}: region is {APPLY_HINT}")
        prefix, config = self.config.get(_strip_indexes(address), ("", {}))
        key = str(config.get("provider_config_key") or "aws")
        provider = self.providers.get(key) or self.providers.get(key.split(":")[-1]) or {}
        expression = (provider.get("expressions") or {}).get("region")
        if isinstance(expression, dict) and isinstance(expression.get("constant_value"), str):
            return expression["constant_value"]
        for reference in (expression or {}).get("references") or []:
            if str(reference).startswith("var."):
                variable = (self.document.get("variables") or {}).get(str(reference)[4:]) or {}
                if isinstance(variable.get("value"), str):
                    return variable["value"]
        return Unknown(f"the plan shows no region for {address} (provider {key} sets none): "
                       "configure the provider's region before planning")

    def resources(self) -> list[TerraformResource]:
        out = []
        for resource in self.planned:
            address = str(resource.get("address"))
            change = self.changes.get(address) or {}
            after_unknown = change.get("after_unknown") if isinstance(change.get("after_unknown"), dict) else {}
            prefix, config = self.config.get(_strip_indexes(address), ("", {}))
            values = self._fill(resource.get("values") or {}, after_unknown, config.get("expressions") or {},
                                prefix, address)
            out.append(TerraformResource(address, str(resource.get("type")), str(resource.get("name")), values,
                                         self._region(address, values, after_unknown), str(self.path),
                                         self.lines.get(address, 1)))
        return out


def read_plan(path: Path, document: dict) -> tuple[list[TerraformResource], dict[str, str]]:
    """The plan's managed resources (every module) and their physical ids."""
    if not isinstance(document.get("planned_values", {}), dict):
        raise LuxguardError(f"{path}: field planned_values: expected an object")
    reader = PlanReader(path, document)
    return reader.resources(), reader.ids
