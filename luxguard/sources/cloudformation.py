"""A CloudFormation template (YAML with short-form intrinsics, or JSON) -> declared resources.

Parameters take `--parameter KEY=VALUE`, else their `Default`; a parameter with neither, an
SSM-typed parameter, `Fn::ImportValue`, `Fn::GetAZs` and attributes known only after create are
unknown. `Ref`/`Fn::GetAtt`/`Fn::Sub` to a resource of the template resolve to that resource, so
a bucket's key, log target and policy are found. The region is `--region`, else the template's
`Metadata.luxguard.region`, else unknown (rules that need it are undecided, never passed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from luxguard.core.datafiles import MAX_NODES, BoundedLoader, check_depth, load_bounded, read_text
from luxguard.core.errors import LuxguardError
from luxguard.core.unknowns import Unknown, first_unknown, is_unknown
from luxguard.resources import cloudformation_type
from luxguard.sources.iac_common import DeclaredResource, Region
from luxguard.sources.pulumi_capture import DEFAULT_ACCOUNT

REGION_HINT = "pass --region or set Metadata.luxguard.region in the template"


class _NoValue:
    """AWS::NoValue: the property is removed."""


NO_VALUE = _NoValue()


class TemplateLoader(BoundedLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt ...), within the limits of every input."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else ("Condition" if suffix == "Condition" else f"Fn::{suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


TemplateLoader.add_multi_constructor("!", _short_form)


def read_template(path: Path) -> Optional[dict]:
    """The template as a dict, or None when the file is no CloudFormation template."""
    text = read_text(path, "template")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        try:
            document = load_bounded(text, str(path), TemplateLoader)   # alias bombs refused before expansion
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise LuxguardError(f"{path}{f':{mark.line + 1}' if mark else ''}: not valid YAML or JSON") from None
        except RecursionError:
            raise LuxguardError(f"{path}: nested too deeply") from None
    _check_size(document, str(path))     # first: a depth walk of an alias bomb would never end
    check_depth(document, str(path))
    if isinstance(document, dict) and ("AWSTemplateFormatVersion" in document or isinstance(document.get("Resources"), dict)):
        return document
    return None


def _check_size(document: Any, source: str) -> None:
    """Refuse a template whose YAML aliases expand past MAX_NODES values (evaluation walks every use)."""
    sizes: dict[int, int] = {}

    def size(value: Any) -> int:
        if id(value) in sizes:
            return sizes[id(value)]
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        total = 1 + sum(size(child) for child in children)
        if total > MAX_NODES:
            raise LuxguardError(f"{source}: more than {MAX_NODES} values once YAML aliases are expanded")
        sizes[id(value)] = total
        return total

    size(document)


def template_region(document: dict, region: Optional[str]) -> Region:
    if region:
        return region
    meta = (document.get("Metadata") or {}).get("luxguard") if isinstance(document.get("Metadata"), dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("region"), str) and meta["region"]:
        return meta["region"]
    return Unknown(f"the template names no region: {REGION_HINT}")


@dataclass
class Template:
    """Intrinsic functions evaluated against one template's parameters, conditions and resources."""

    path: Path
    document: dict
    region: Region
    overrides: dict[str, str] = field(default_factory=dict)
    address_prefix: str = ""
    _conditions: dict[str, Any] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)

    @property
    def resources(self) -> dict[str, Any]:
        return self.document.get("Resources") or {}

    def address(self, logical_id: str) -> str:
        return f"{self.address_prefix}{logical_id}"

    # --- names ------------------------------------------------------------------------------------
    def parameter(self, name: str) -> Any:
        pseudo = {"AWS::Region": self.region, "AWS::AccountId": DEFAULT_ACCOUNT, "AWS::Partition": "aws",
                  "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": NO_VALUE,
                  "AWS::StackName": Unknown("the stack name: pass --parameter AWS::StackName=NAME"),
                  "AWS::StackId": Unknown("the stack id is known after create"),
                  "AWS::NotificationARNs": []}
        if name in self.overrides:
            return self._typed(name, self.overrides[name])
        if name in pseudo:
            return pseudo[name]
        declared = (self.document.get("Parameters") or {}).get(name)
        if not isinstance(declared, dict):
            return Unknown(f"Ref {name}: no such parameter or resource")
        kind = str(declared.get("Type", "String"))
        if kind.startswith("AWS::SSM::Parameter::Value"):
            return Unknown(f"parameter {name} is read from SSM at deploy: pass --parameter {name}=VALUE")
        if "Default" not in declared:
            return Unknown(f"parameter {name} has no default: pass --parameter {name}=VALUE")
        return self._typed(name, declared["Default"])

    def _typed(self, name: str, value: Any) -> Any:
        kind = str(((self.document.get("Parameters") or {}).get(name) or {}).get("Type", "String"))
        if kind == "Number" and isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                raise LuxguardError(f"parameter {name}: {value!r} is not a Number") from None
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            return [v.strip() for v in value.split(",")]
        return value

    def physical_id(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id) or {}
        kind = cloudformation_type(str(resource.get("Type")))
        if kind is not None and kind.physical_name and logical_id not in self._busy:
            self._busy.add(logical_id)
            name = self.eval(((resource.get("Properties") or {}).get(kind.physical_name)))
            self._busy.discard(logical_id)
            if isinstance(name, str) and name:
                return name
        return self.address(logical_id)

    def ref(self, name: str) -> Any:
        if name in self.resources:
            return self.physical_id(name)
        return self.parameter(name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.resources:
            return Unknown(f"Fn::GetAtt {logical_id}.{attribute}: no such resource")
        resource_type = str(self.resources[logical_id].get("Type"))
        physical = self.physical_id(logical_id)
        if attribute == "Arn":
            return f"arn:aws:s3:::{physical}" if resource_type == "AWS::S3::Bucket" else physical
        if attribute in ("KeyId", "GroupId", "Id", "TableName", "BucketName"):
            return physical
        return Unknown(f"{logical_id}.{attribute} is known only after the stack is created")

    # --- conditions -----------------------------------------------------------------------------
    def condition(self, name: str) -> Any:
        if name not in self._conditions:
            conditions = self.document.get("Conditions") or {}
            if name not in conditions:
                raise LuxguardError(f"{self.path}: condition {name} is not defined in Conditions")
            self._conditions[name] = Unknown(f"condition {name} refers to itself")
            self._conditions[name] = self.eval(conditions[name])
        return self._conditions[name]

    # --- intrinsics -----------------------------------------------------------------------------
    def eval(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.eval(v) for v in value]
            return [i for i in items if i is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key[4:], arg)
        out = {}
        for key, item in value.items():
            evaluated = self.eval(item)
            if evaluated is not NO_VALUE:
                out[key] = evaluated
        return out

    def _function(self, name: str, arg: Any) -> Any:
        if name == "GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.get_att(str(parts[0]), str(self.eval(parts[1]))) if len(parts) == 2 else \
                Unknown(f"Fn::GetAtt {arg!r}: expected [resource, attribute]")
        if name == "Sub":
            return self._sub(arg)
        if name == "If":
            test = self.condition(str(arg[0]))
            return test if is_unknown(test) else self.eval(arg[1] if test else arg[2])
        if name in ("ImportValue", "GetAZs", "Cidr"):
            return Unknown(f"Fn::{name} is resolved when the stack is deployed")
        args = self.eval(arg)
        unknown = first_unknown(args)
        if unknown is not None:
            return unknown
        try:
            return _FUNCTIONS[name](self, args)
        except KeyError:
            return Unknown(f"Fn::{name} is not evaluated before deploy")
        except (TypeError, ValueError, IndexError):
            raise LuxguardError(f"{self.path}: Fn::{name} {json.dumps(arg, default=str)[:80]}: invalid arguments") from None

    def _sub(self, arg: Any) -> Any:
        text, variables = (arg[0], self.eval(arg[1]) if len(arg) > 1 else {}) if isinstance(arg, list) else (arg, {})
        unknowns: list[Unknown] = []

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                value = self.get_att(*name.split(".", 1))
            else:
                value = self.ref(name)
            if is_unknown(value):
                unknowns.append(value)
                return ""
            return str(value)

        result = re.sub(r"\$\{([^}]+)\}", replace, str(text))
        return unknowns[0] if unknowns else result

    def find_in_map(self, args: list) -> Any:
        return (self.document.get("Mappings") or {})[args[0]][args[1]][args[2]]


_FUNCTIONS = {
    "Join": lambda t, a: str(a[0]).join(str(i) for i in a[1]),
    "Select": lambda t, a: a[1][int(a[0])],
    "Split": lambda t, a: str(a[1]).split(str(a[0])),
    "Equals": lambda t, a: str(a[0]) == str(a[1]),
    "Not": lambda t, a: not a[0],
    "And": lambda t, a: all(a),
    "Or": lambda t, a: any(a),
    "FindInMap": lambda t, a: t.find_in_map(a),
    "Base64": lambda t, a: a,
    "ToJsonString": lambda t, a: json.dumps(a),
    "Length": lambda t, a: len(a),
}


@dataclass(frozen=True)
class _Context:
    """What a descriptor's CloudFormation converter may ask (resources.base.CloudFormationContext)."""

    own_id: str
    region: Region


def line_of(text_lines: list[str], logical_id: str) -> int:
    """The line declaring a logical id (1 when not found)."""
    pattern = re.compile(rf'^\s*"?{re.escape(logical_id)}"?\s*:')
    return next((n for n, line in enumerate(text_lines, 1) if pattern.match(line)), 1)


def read_templates(paths: list[Path], region: Optional[str], parameters: tuple[str, ...]
                   ) -> tuple[list[DeclaredResource], list[str], list[str]]:
    """Templates -> declared resources, the types luxguard does not model, and notes."""
    overrides = {}
    for item in parameters:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise LuxguardError(f"--parameter {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = value
    entries: list[DeclaredResource] = []
    others: list[str] = []
    notes: list[str] = []
    several = len(paths) > 1
    for path in paths:
        document = read_template(path)
        if document is None:
            continue
        if not isinstance(document.get("Resources"), dict):
            raise LuxguardError(f"{path}: field Resources: expected a mapping of logical ids")
        template = Template(path, document, template_region(document, region), overrides,
                            f"{path.name}:" if several else "")
        lines = read_text(path, "template").splitlines()
        for logical_id, resource in sorted(template.resources.items()):
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                raise LuxguardError(f"{path}: resource {logical_id}: field Type: expected a string")
            if "Condition" in resource:
                created = template.condition(str(resource["Condition"]))
                if is_unknown(created):
                    notes.append(f"{template.address(logical_id)}: condition {resource['Condition']} is not known "
                                 f"before deploy ({created.reason}); evaluated as if created")
                elif not created:
                    continue
            kind = cloudformation_type(resource["Type"])
            if kind is None:
                others.append(resource["Type"])
                continue
            properties = template.eval(resource.get("Properties") or {})
            if not isinstance(properties, dict):
                raise LuxguardError(f"{path}: resource {logical_id}: field Properties: expected a mapping")
            context = _Context(template.physical_id(logical_id), template.region)
            for pulumi_type, suffix, inputs in kind.convert(properties, context):
                address = template.address(logical_id) + suffix
                entries.append(DeclaredResource(
                    address=address, declared_type=kind.name, pulumi_type=pulumi_type, name=logical_id,
                    id=context.own_id if not suffix else address, inputs=inputs, region=template.region,
                    file=str(path), line=line_of(lines, logical_id)))
    return entries, others, notes
