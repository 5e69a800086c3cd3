"""Terraform resource types read as their pulumi-aws twins (the descriptors' `PulumiType.terraform`).

pulumi-aws is generated from terraform-provider-aws: the arguments are the same, spelled
camelCase, and a block that may appear once is an object where Terraform writes a one-element
list of blocks. So each type needs only its twin, the blocks that repeat (`terraform_blocks`,
kept as lists under pulumi's plural name) and the argument naming the physical resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from luxguard.core.unknowns import Unknown
from luxguard.resources import PulumiType, terraform_twin
from luxguard.sources.pulumi_normalise import snake_case

# Terraform meta-arguments: never resource inputs.
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection",
                  "timeouts", "tags_all"}
BUCKET = "aws:s3/bucket:Bucket"


@dataclass(frozen=True)
class TerraformType:
    terraform_type: str
    twin: PulumiType

    @property
    def pulumi_type(self) -> str:
        return self.twin.type

    @property
    def physical_name(self) -> Optional[str]:
        """The argument naming the cloud resource (the twin's physical-name input, snake_case)."""
        if not self.twin.physical_name:
            return None
        return self.twin.terraform_renames.get(self.twin.physical_name) or snake_case(self.twin.physical_name)

    @property
    def repeated_blocks(self) -> dict[str, str]:
        return dict(self.twin.terraform_blocks)

    def arn(self, physical_id: str) -> str:
        """What `<address>.arn` stands for: the normaliser finds resources by id, buckets by ARN."""
        return f"arn:aws:s3:::{physical_id}" if self.twin.type == BUCKET else physical_id


def terraform_type(name: str) -> Optional[TerraformType]:
    """How a Terraform resource type is read (None: not modelled)."""
    twin = terraform_twin(name)
    return TerraformType(name, twin) if twin is not None else None


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _is_blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def to_inputs(values: dict[str, Any], kind: TerraformType) -> dict[str, Any]:
    """Terraform arguments and blocks -> pulumi-aws inputs."""
    renamed = {argument: camel_case(name) for name, argument in kind.twin.terraform_renames.items()}
    converted = _block({k: v for k, v in values.items() if k not in META_ARGUMENTS and k not in renamed}, kind)
    for argument, name in renamed.items():
        if argument in values:
            converted[name] = _block({argument: values[argument]}, kind)[camel_case(argument)]
    return converted


def _block(values: dict[str, Any], kind: TerraformType) -> dict[str, Any]:
    out: dict[str, Any] = {}
    blocks = kind.repeated_blocks
    for key, value in values.items():
        if isinstance(value, Unknown):
            out[camel_case(key)] = value
        elif key in blocks and isinstance(value, list):
            out[blocks[key]] = [_block(v, kind) if isinstance(v, dict) else v for v in value]
        elif _is_blocks(value):
            out[camel_case(key)] = _block(value[0], kind)
        else:
            out[camel_case(key)] = value
    return out
