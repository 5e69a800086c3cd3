"""What luxguard knows about one resource type, in one value (Cloud Custodian's TypeInfo idea).

A `ResourceType` is registered by its module in `luxguard/resources/` (one module per model
type); every stage reads it through `luxguard.resources` instead of keeping its own table:

- the model vocabulary (`properties`, `items`) that rules may name;
- `pulumi`: the pulumi-aws types that make the type up, each with its converter or the way it
  folds into its parent, the inputs that feed each model group (preview unknowns), the
  physical-name input, its Terraform twin (the plan writer for checkov) and its sandbox handler;
- `live`: where its collector lives in `scanners/` and how its listing is scoped;
- `drift`: which values are the safer ones, what a deletion takes away, what a stack can manage;
- `terraform` / `cloudformation`: the IaC forms. A Terraform resource is read as its pulumi-aws
  twin (`PulumiType.terraform`, with `terraform_blocks` for blocks that repeat); a CloudFormation
  resource type has a converter to the pulumi-aws inputs of the resources it stands for;
- `tagging`: how the enforcer reads and writes its tags;
- `resource_policy`: how the enforcer reads and rewrites its own policy (bucket, key, queue...).

Nothing here imports a stage: descriptors depend on `luxguard.core` only, and every stage
depends on descriptors, so a stage can never reach another stage through them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Protocol

from luxguard.core.model import Resource

if TYPE_CHECKING:   # types only: the sources depend on the descriptors, never the reverse
    from luxguard.sources.pulumi_capture import CapturedResource

Converter = Callable[["CapturedResource", Any], Resource]            # (captured, plan index) -> model
Folder = Callable[["CapturedResource", Resource, Any], None]          # (child, parent model, plan index)
SandboxHandler = Callable[[Any, "CapturedResource", dict, str], tuple[str, dict]]   # -> (real id, outputs)


@dataclass(frozen=True)
class Folding:
    """How a child configuration resource folds into the resource it configures."""

    parent_type: str              # pulumi type of the parent (e.g. the bucket)
    parent_input: str             # the child's input naming the parent's id
    groups: tuple[str, ...]       # the parent's property groups the child sets (all undecided if an input is unknown)
    fold: Folder
    also_parents: tuple[str, ...] = ()   # other pulumi types the parent id may belong to (default security group)
    # When the child may name its parent by ARN or URL (a topic policy's `arn`, a queue policy's
    # `queueUrl`) while the parent's id is its name (previews, plans): both sides compared by this key.
    parent_key: Optional[Callable[[str], str]] = None

    def parent_in(self, child_inputs: Mapping[str, Any], by_type_id: Mapping[tuple[str, str], Any]) -> Any:
        """The parent the child's `parent_input` names among `by_type_id` ((pulumi type, id) -> resource), or None."""
        parent_id = str(child_inputs.get(self.parent_input))
        types = (self.parent_type, *self.also_parents)
        exact = next((by_type_id[(t, parent_id)] for t in types if (t, parent_id) in by_type_id), None)
        if exact is not None or self.parent_key is None:
            return exact
        wanted = self.parent_key(parent_id)
        matches = [value for (t, rid), value in by_type_id.items() if t in types and self.parent_key(rid) == wanted]
        return matches[0] if len(matches) == 1 else None   # two parents of one name: none is guessed


@dataclass(frozen=True)
class PulumiType:
    """One pulumi-aws type that belongs to a model type.

    Exactly one of `convert` (the type becomes a model resource) and `fold` (it configures one)
    is set, or neither for a type that only helps resolve others (a KMS alias) or applies
    account-wide (`account_wide`).
    """

    type: str
    convert: Optional[Converter] = None
    fold: Optional[Folding] = None
    # Converter inputs -> the model groups computed from them: an input unknown at preview makes
    # exactly these groups undecided. Every input the converter reads must be declared.
    inputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    physical_name: Optional[str] = None     # the input naming the cloud resource (mock ids take it)
    terraform: Optional[str] = None         # the terraform-provider-aws twin (both ways: plans for checkov, Terraform read)
    # Terraform blocks that repeat -> the pulumi list input holding them (other blocks are max-one objects)
    terraform_blocks: Mapping[str, str] = field(default_factory=dict)
    # Top-level inputs whose Terraform argument is not their snake_case (pulumi input -> Terraform
    # argument, e.g. a Lambda function's `name` is Terraform's `function_name`)
    terraform_renames: Mapping[str, str] = field(default_factory=dict)
    sandbox: Optional[SandboxHandler] = None
    # Creation order in the sandbox, lower first: keys 10-19, security groups 20-29, buckets 30,
    # bucket configuration 31-49 (policies before logging points at them).
    sandbox_rank: int = 100
    # (setting, every model resource, plan index): e.g. a registry setting applied to its region's repositories
    account_wide: Optional[Callable[["CapturedResource", list[Resource], Any], None]] = None


@dataclass(frozen=True)
class LiveCollector:
    """Where the live collector lives (scanners/ stays at the root) and how it lists.

    `function` is resolved lazily (`luxguard.resources.collector`) so that importing the
    descriptors never imports boto3 or scanners/.
    """

    module: str                   # e.g. "scanners.ec2"
    function: str                 # e.g. "collect_volumes"; regional ones take (shared, region)
    scope: str = "regional"       # "regional": one listing per region; "global": one per account
    # The progress label of its listing (e.g. "ec2 volumes"); only for people: a failed listing is
    # keyed by type, region and account (luxguard.core.listing), never by this label.
    listing: str = ""


def always(_resource: Resource) -> bool:
    return True


@dataclass(frozen=True)
class Drift:
    """What drift needs to know about a type beyond the properties its rules compare."""

    missing_category: str                          # the control a deleted resource takes with it
    safer: Mapping[str, Any] = field(default_factory=dict)   # property -> its safe value ("stricter than declared")
    manageable: Callable[[Resource], bool] = always          # could a stack manage this live resource?


@dataclass(frozen=True)
class TerraformForm:
    """The Terraform form of a model type: its main Terraform type (one of its Pulumi types'
    twins); every twin (children included) is read as its pulumi-aws type."""

    type: str


class CloudFormationContext(Protocol):
    """What a CloudFormation converter may ask of the template it reads."""

    own_id: str             # the resource's physical id (its name property, else its logical id)
    region: Any             # the template's region (a string, or Unknown)


# (properties with intrinsics evaluated, context) -> [(pulumi type, address suffix, pulumi inputs)]:
# the resource itself (suffix "") and the child resources its properties stand for.
CloudFormationConverter = Callable[[dict, CloudFormationContext], list[tuple[str, str, dict]]]


@dataclass(frozen=True)
class CloudFormationType:
    """One CloudFormation resource type of a model type and how it reads."""

    name: str                              # e.g. AWS::S3::BucketPolicy
    convert: CloudFormationConverter
    physical_name: Optional[str] = None    # the property naming the cloud resource (Ref returns it)


@dataclass(frozen=True)
class CloudFormationForm:
    """The CloudFormation resource types of a model type; none where CloudFormation has no such
    resource (EBS snapshots, EBS encryption by default)."""

    types: tuple[CloudFormationType, ...] = ()

    @property
    def has_type(self) -> bool:
        return bool(self.types)


@dataclass(frozen=True)
class Tagging:
    """How the enforcer tags a resource: `read(client, resource)` -> current tags, and
    `write(resource, current, new)` -> (operation, parameters) of the one call that adds `new`.
    `by_arn`: the API names the resource by ARN (the finding must carry one); `max_tags`: the
    service's limit on a resource's tags, when the write replaces the whole set."""

    service: str
    read: Callable[[Any, Resource], dict[str, str]]
    write: Callable[[Resource, dict[str, str], dict[str, str]], tuple[str, dict[str, Any]]]
    by_arn: bool = False
    max_tags: Optional[int] = None


@dataclass(frozen=True)
class PolicyAccess:
    """How the enforcer reads and rewrites a resource's own policy: `read(client, resource)` ->
    the document (None when there is none), `write(resource, document)` -> (operation,
    parameters) of the one call that replaces it. A policy left with no statement is either
    cleared by `remove(resource)` (a Set call, never a Delete: SQS) or keeps `floor(resource)`,
    a statement that grants nothing (S3, Secrets Manager: deny requests without TLS, which the
    catalogue asks of them anyway); with neither (keys, topics) the repair is refused."""

    service: str
    read: Callable[[Any, Resource], Optional[dict]]
    write: Callable[[Resource, dict], tuple[str, dict[str, Any]]]
    remove: Optional[Callable[[Resource], tuple[str, dict[str, Any]]]] = None
    floor: Optional[Callable[[Resource], dict[str, Any]]] = None
    # A policy edited statement by statement, never replaced whole (Lambda: RemovePermission by
    # Sid): the calls that take these statements out; `write` is then unused.
    remove_statements: Optional[Callable[[Resource, list[dict[str, Any]]], list[tuple[str, dict[str, Any]]]]] = None
    max_bytes: Optional[int] = None
    by_arn: bool = False          # the API names the resource by ARN (the finding must carry one)


@dataclass(frozen=True)
class ResourceType:
    """Everything luxguard knows about one model type (see the module docstring)."""

    cfn_type: str                              # the model's type name (CloudFormation's), e.g. AWS::S3::Bucket
    kind: str                                  # what people call it in messages: "bucket", "KMS key"
    properties: Mapping[str, str]              # model vocabulary: dotted path -> kind (string, bool, ...)
    items: Mapping[str, Mapping[str, str]] = field(default_factory=dict)   # fields of `objects` properties
    pulumi: tuple[PulumiType, ...] = ()
    arn: Optional[Callable[[Optional[str], str, str], str]] = None        # (region, account, id) -> ARN
    live: Optional[LiveCollector] = None
    drift: Optional[Drift] = None
    terraform: Optional[TerraformForm] = None
    cloudformation: Optional[CloudFormationForm] = None
    tagging: Optional[Tagging] = None
    resource_policy: Optional[PolicyAccess] = None   # the enforcer's way to its own policy

    def groups(self) -> set[str]:
        """Top-level property groups of the type (what collection errors and unknowns name)."""
        return {path.split(".")[0] for path in self.properties}

    def problems(self, common: Mapping[str, str]) -> list[str]:
        """What this descriptor lacks for the sources it claims (empty when complete).

        Claimed sources: Pulumi (a converter), Terraform/CloudFormation (the forms), live (a
        collector), drift, enforcer tagging, the sandbox (a handler on a Pulumi type)."""
        found: list[str] = []
        groups = self.groups() | set(common)
        if not self.kind or not self.properties:
            found.append("kind and properties are required")
        own = {p.type for p in self.pulumi}
        for spec in self.pulumi:
            roles = [r for r in (spec.convert, spec.fold, spec.account_wide) if r is not None]
            if len(roles) > 1:
                found.append(f"{spec.type}: one of convert, fold, account_wide")
            if spec.convert is not None:
                unknown = sorted({g for gs in spec.inputs.values() for g in gs} - groups)
                if not spec.inputs or unknown:
                    found.append(f"{spec.type}: inputs must map converter inputs to model groups (unknown: {unknown})")
            if spec.fold is not None:
                if spec.fold.parent_type not in own:
                    found.append(f"{spec.type}: folds into {spec.fold.parent_type}, not a type of this descriptor")
                if not spec.fold.groups or set(spec.fold.groups) - groups:
                    found.append(f"{spec.type}: fold groups {spec.fold.groups} are not all model groups")
            if spec.sandbox is not None and spec.sandbox_rank >= 100:
                found.append(f"{spec.type}: a sandbox handler needs a sandbox_rank")
        if (self.terraform is None) != (self.cloudformation is None):
            found.append("terraform/cloudformation: a descriptor reading one IaC source needs both forms "
                         "(an empty cloudformation form says CloudFormation has no such type)")
        twins = {spec.terraform for spec in self.pulumi if spec.terraform}
        if self.terraform is not None and self.terraform.type not in twins:
            found.append(f"terraform: {self.terraform.type} is not the twin of any of its pulumi types")
        for spec in self.pulumi:
            if spec.terraform_blocks and not spec.terraform:
                found.append(f"{spec.type}: terraform_blocks without a terraform twin")
        for cfn in self.cloudformation.types if self.cloudformation else ():
            if not cfn.name.startswith("AWS::"):
                found.append(f"cloudformation: {cfn.name} is not a CloudFormation type name")
        if self.live is not None and not (self.live.module and self.live.function and self.live.listing):
            found.append("live: module, function and listing are required")
        if self.live is not None and self.live.scope not in ("regional", "global"):
            found.append(f"live: scope {self.live.scope!r} is not regional or global")
        if self.drift is not None:
            if self.live is None:
                found.append("drift: compares against the live collection, which needs a live collector")
            if not self.drift.missing_category:
                found.append("drift: missing_category is required")
            for prop in self.drift.safer:
                if prop not in self.properties:
                    found.append(f"drift: safer value for {prop}, not a property of {self.cfn_type}")
        if self.tagging is not None and not self.tagging.service:
            found.append("tagging: service is required")
        return found
