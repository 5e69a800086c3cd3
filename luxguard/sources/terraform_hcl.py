"""A Terraform directory (HCL) -> declared resources, as `terraform plan` would see them before apply.

Variables take `--var NAME=VALUE`, then `--var-file` files, then `*.auto.tfvars` and
`terraform.tfvars`, then their default (Terraform's precedence); a variable with none of these is
unknown, and so is everything computed from it. `default = null` is null: not configured. Locals,
`count`, `for_each`, `dynamic` blocks and local modules (`source = "./..."`) are evaluated; a
resource's region is its own `region` argument or its provider's `region`. A provider without a
known region (a variable without a value, no provider block: every reusable module) leaves the
region unknown, and the rules that need it undecided.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError

from luxguard.core.datafiles import parse_json, read_text
from luxguard.core.errors import LuxguardError
from luxguard.sources.hcl_expressions import Evaluator, identifier_name, source_text, trees
from luxguard.core.unknowns import Unknown, first_unknown, is_unknown
from luxguard.sources.iac_common import DeclaredResource, Region
from luxguard.sources.terraform_types import META_ARGUMENTS, terraform_type, to_inputs

PLAN_HINT = "or check a plan (terraform show -json)"
MAX_INSTANCES = 10_000      # per resource block: a larger count is refused, not expanded


@dataclass
class Block:
    kind: str
    labels: list[str]
    body: Tree
    file: str
    line: int


def _label(node: Any) -> str:
    if isinstance(node, Tree) and node.data == "string":
        return "".join(str(t) for part in trees(node) for t in part.children if isinstance(t, Token))
    return identifier_name(node)


def _parse(text: str, where: str) -> Tree:
    try:
        return hcl2.parses_to_tree(text)
    except RecursionError:
        raise LuxguardError(f"{where}: nested too deeply") from None
    except (LarkError, RuntimeError, ValueError) as exc:
        line = getattr(exc, "line", None)
        raise LuxguardError(f"{where}{f':{line}' if line else ''}: not valid HCL") from None


def parse_file(path: Path) -> tuple[list[Block], dict[str, Tree]]:
    """A .tf/.tfvars file -> its top-level blocks and attributes."""
    text = read_text(path, "Terraform file")
    body = trees(_parse(text, str(path)))[0]
    blocks, attributes = [], {}
    for item in trees(body):
        if item.data == "block":
            parts = [c for c in item.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
            blocks.append(Block(identifier_name(parts[0]), [_label(p) for p in parts[1:-1]], parts[-1],
                                str(path), item.meta.line))
        elif item.data == "attribute":
            name, value = trees(item)[0], trees(item)[-1]
            attributes[identifier_name(name)] = value
    return blocks, attributes


@lru_cache(maxsize=256)
def parse_expression(text: str) -> Tree:
    """One expression (a -var value, a heredoc as a template) as a tree."""
    attribute = trees(trees(_parse(f"x = {text}\n", "expression"))[0])[0]
    return trees(attribute)[-1]


def attributes_of(body: Tree) -> dict[str, Tree]:
    return {identifier_name(trees(a)[0]): trees(a)[-1] for a in trees(body) if a.data == "attribute"}


def blocks_of(body: Tree) -> list[tuple[str, list[str], Tree]]:
    out = []
    for item in trees(body):
        if item.data == "block":
            parts = [c for c in item.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]
            out.append((identifier_name(parts[0]), [_label(p) for p in parts[1:-1]], parts[-1]))
    return out


@dataclass
class Provider:
    region: Region


@dataclass
class Instance:
    """One instance of a resource block (count/for_each expand a block into several)."""

    module: "Module"
    block: Block
    address: str
    evaluator: Evaluator
    _values: dict[str, Any] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)

    @property
    def kind(self):
        return terraform_type(self.block.labels[0])

    def argument(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self._busy:
            return Unknown(f"{self.address}.{name} refers to itself")
        arguments = attributes_of(self.block.body)
        if name not in arguments:
            return None
        self._busy.add(name)
        value = self.evaluator.eval(arguments[name])
        self._busy.discard(name)
        self._values[name] = value
        return value

    def physical_id(self) -> str:
        kind = self.kind
        name = self.argument(kind.physical_name) if kind and kind.physical_name else None
        return name if isinstance(name, str) and name else self.address

    def attribute(self, name: str) -> Any:
        """What `<address>.<name>` evaluates to before apply."""
        kind = self.kind
        if name in attributes_of(self.block.body):
            return self.argument(name)
        if name in ("id", "key_id", "bucket", "name", "identifier", "target_key_id"):
            return self.physical_id()
        if name == "arn":
            return kind.arn(self.physical_id()) if kind else self.physical_id()
        return Unknown(f"{self.address}.{name} is known only after apply: {PLAN_HINT.removeprefix('or ')}")

    def values(self) -> dict[str, Any]:
        return body_values(self.block.body, self.evaluator, self)

    def region(self) -> Region:
        own = self.argument("region")
        if isinstance(own, (str, Unknown)) and own != "":
            return own
        provider_expr = attributes_of(self.block.body).get("provider")
        key = source_text(provider_expr) if provider_expr is not None else "aws"
        return self.module.provider_region(key)


def body_values(body: Tree, evaluator: Evaluator, instance: Optional[Instance] = None) -> dict[str, Any]:
    """Arguments and nested blocks of a body (blocks as lists of dicts, as in a plan)."""
    out: dict[str, Any] = {}
    for name, node in attributes_of(body).items():
        if instance is not None and name in META_ARGUMENTS:
            continue
        out[name] = instance.argument(name) if instance is not None else evaluator.eval(node)
    for name, labels, inner in blocks_of(body):
        if name == "dynamic" and labels:
            out.setdefault(labels[0], [])
            expanded = _dynamic(labels[0], inner, evaluator)
            if isinstance(expanded, Unknown):
                out[labels[0]] = expanded
            elif isinstance(out[labels[0]], list):
                out[labels[0]] += expanded
        elif name not in ("lifecycle", "provisioner", "connection", "timeouts"):
            existing = out.setdefault(name, [])
            if isinstance(existing, list):
                existing.append(body_values(inner, evaluator))
    return out


def _dynamic(name: str, body: Tree, evaluator: Evaluator) -> Any:
    arguments = attributes_of(body)
    collection = evaluator.eval(arguments["for_each"]) if "for_each" in arguments else None
    if first_unknown(collection) is not None:
        return Unknown(f"dynamic block {name}: for_each is not known before plan")
    iterator = evaluator.eval(arguments["iterator"]) if "iterator" in arguments else name
    content = next((inner for kind, _, inner in blocks_of(body) if kind == "content"), None)
    if content is None:
        return []
    pairs = collection.items() if isinstance(collection, dict) else enumerate(collection or [])
    return [body_values(content, evaluator.child(**{str(iterator): {"key": k, "value": v}})) for k, v in pairs]


class Module:
    """One module instance: its files, the values of its variables and its providers."""

    def __init__(self, directory: Path, prefix: str, variables: dict[str, Any], providers: dict[str, Provider],
                 root: Optional["Module"] = None, notes: Optional[list[str]] = None):
        self.directory = directory
        self.prefix = prefix
        self.root = root or self
        self.notes = notes if notes is not None else []
        self.blocks: list[Block] = []
        for path in sorted(directory.glob("*.tf")):
            self.blocks += parse_file(path)[0]
        for path in sorted(directory.glob("*.tf.json")):
            self.notes.append(f"{path}: Terraform JSON configuration is not read; check a plan (terraform show -json)")
        self.variable_blocks = {b.labels[0]: b for b in self.blocks if b.kind == "variable" and b.labels}
        self.given = variables
        self.evaluator = Evaluator(self)
        self.local_exprs = {name: node for b in self.blocks if b.kind == "locals"
                            for name, node in attributes_of(b.body).items()}
        self._locals: dict[str, Any] = {}
        self.resources = {(b.labels[0], b.labels[1]): b for b in self.blocks
                          if b.kind == "resource" and len(b.labels) == 2}
        self._instances: dict[tuple[str, str], Any] = {}
        self.providers = dict(providers)
        for block in self.blocks:
            if block.kind == "provider" and block.labels and block.labels[0] == "aws":
                alias = attributes_of(block.body).get("alias")
                key = f"aws.{self.evaluator.eval(alias)}" if alias is not None else "aws"
                region_expr = attributes_of(block.body).get("region")
                region = self.evaluator.eval(region_expr) if region_expr is not None else Unknown(
                    f"provider {key} ({block.file}:{block.line}) sets no region: set one, {PLAN_HINT}")
                self.providers[key] = Provider(region if isinstance(region, (str, Unknown)) else Unknown(
                    f"provider {key}: region is not a string"))
        self.children = self._modules()

    # --- names --------------------------------------------------------------------------------
    def lookup(self, root: str, steps: list[Any], text: str) -> Any:
        if root == "var":
            value = self.variable(steps[0][1]) if steps else Unknown("`var` alone")
            rest = steps[1:]
        elif root == "local":
            value = self.local(steps[0][1]) if steps else Unknown("`local` alone")
            rest = steps[1:]
        elif root == "path":
            value = {"module": str(self.directory), "root": str(self.root.directory), "cwd": str(Path.cwd())}
            rest = steps
        elif root == "terraform":
            value, rest = {"workspace": "default"}, steps
        elif root == "data":
            return Unknown(f"`{text}` is a data source, read at plan time: {PLAN_HINT.removeprefix('or ')}")
        elif root == "module":
            return self.module_output(steps, text)
        elif root in ("count", "each", "self"):
            return Unknown(f"`{text}` outside its block")
        elif steps and (root, steps[0][1]) in self.resources:
            return self.resource_reference(root, steps[0][1], steps[1:], text)
        else:
            return Unknown(f"`{text}` is not declared in {self.directory}")
        for step in rest:
            value = self.evaluator.step(value, step)
        return value

    def variable(self, name: str) -> Any:
        if name in self.given:
            return self.given[name]
        block = self.variable_blocks.get(name)
        if block is None:
            return Unknown(f"variable {name} is not declared in {self.directory}")
        arguments = attributes_of(block.body)
        if "default" in arguments:
            return Evaluator(self).eval(arguments["default"])
        if self is self.root:
            return Unknown(f"variable {name} has no value: pass --var {name}=... or --var-file, {PLAN_HINT}")
        return Unknown(f"variable {name} of module {self.prefix.rstrip('.')} has no value")

    def local(self, name: str) -> Any:
        if name not in self._locals:
            if name not in self.local_exprs:
                return Unknown(f"local.{name} is not declared")
            self._locals[name] = Unknown(f"local.{name} refers to itself")
            self._locals[name] = self.evaluator.eval(self.local_exprs[name])
        return self._locals[name]

    def provider_region(self, key: str) -> Region:
        provider = self.providers.get(key)
        if provider is None:
            if key == "aws":
                return Unknown(f"no `provider \"aws\"` block gives {self.prefix or 'the configuration'} a region: "
                               f"add one with a region, {PLAN_HINT}")
            return Unknown(f"provider {key} is not configured: add it with a region, {PLAN_HINT}")
        return provider.region

    # --- resources ----------------------------------------------------------------------------
    def instances(self, block: Block) -> list[Instance]:
        key = (block.labels[0], block.labels[1])
        if key not in self._instances:
            self._instances[key] = []   # a cycle through count/for_each sees no instance
            self._instances[key] = self._expand(block)
        return self._instances[key]

    def _expand(self, block: Block) -> list[Instance]:
        base = f"{self.prefix}{block.labels[0]}.{block.labels[1]}"
        arguments = attributes_of(block.body)
        if "count" in arguments:
            count = self.evaluator.eval(arguments["count"])
            if is_unknown(count):
                self.notes.append(f"{base}: count is not known before plan ({count.reason}); read as one instance")
                return [Instance(self, block, f"{base}[0]", self.evaluator.child(count={"index": 0}))]
            if not isinstance(count, (int, float)) or isinstance(count, bool) or not 0 <= count <= MAX_INSTANCES:
                raise LuxguardError(f"{block.file}:{block.line}: {base}: count must be a number from 0 to {MAX_INSTANCES}")
            return [Instance(self, block, f"{base}[{i}]", self.evaluator.child(count={"index": i}))
                    for i in range(int(count))]
        if "for_each" in arguments:
            collection = self.evaluator.eval(arguments["for_each"])
            if first_unknown(collection) is not None:
                self.notes.append(f"{base}: for_each is not known before plan; read as one instance")
                unknown = Unknown(f"{base}: for_each is not known before plan")
                return [Instance(self, block, f"{base}[*]", self.evaluator.child(each={"key": unknown, "value": unknown}))]
            if not isinstance(collection, (dict, list)) or len(collection) > MAX_INSTANCES:
                raise LuxguardError(f"{block.file}:{block.line}: {base}: for_each must be a map or set of at most "
                                    f"{MAX_INSTANCES} values")
            pairs = collection.items() if isinstance(collection, dict) else ((v, v) for v in collection)
            return [Instance(self, block, f"{base}[{json.dumps(str(k))}]",
                             self.evaluator.child(each={"key": k, "value": v})) for k, v in pairs]
        return [Instance(self, block, base, self.evaluator)]

    def resource_reference(self, rtype: str, name: str, steps: list[Any], text: str) -> Any:
        block = self.resources[(rtype, name)]
        instances = self.instances(block)
        expanded = any(k in attributes_of(block.body) for k in ("count", "for_each"))
        if expanded:
            if not steps or steps[0][0] != "index":
                return Unknown(f"`{text}` names every instance: not evaluated before plan")
            wanted = steps[0][1]
            base = f"{self.prefix}{rtype}.{name}"
            address = f"{base}[{wanted}]" if isinstance(wanted, int) else f"{base}[{json.dumps(str(wanted))}]"
            instance = next((i for i in instances if i.address == address), None)
            if instance is None and len(instances) == 1 and instances[0].address.endswith("[*]"):
                instance = instances[0]
            steps = steps[1:]
        else:
            instance = instances[0] if instances else None
        if instance is None:
            return Unknown(f"`{text}`: no such instance")
        if not steps:
            return Unknown(f"`{text}` is a whole resource object: not evaluated before plan")
        value = instance.attribute(str(steps[0][1]))
        for step in steps[1:]:
            value = self.evaluator.step(value, step)
        return value

    # --- modules ------------------------------------------------------------------------------
    def _modules(self) -> dict[str, "Module"]:
        children: dict[str, Module] = {}
        for block in self.blocks:
            if block.kind != "module" or not block.labels:
                continue
            name = block.labels[0]
            arguments = attributes_of(block.body)
            source = self.evaluator.eval(arguments["source"]) if "source" in arguments else None
            if not isinstance(source, str) or not source.startswith(("./", "../")):
                self.notes.append(f"module {self.prefix}module.{name} (source {source}) is not read from a directory "
                                  f"check: check a plan (terraform show -json) to evaluate its resources")
                continue
            if any(k in arguments for k in ("count", "for_each")):
                self.notes.append(f"module {self.prefix}module.{name}: count/for_each on modules is read from a plan "
                                  f"only (terraform show -json)")
                continue
            directory = (self.directory / source).resolve()
            if not directory.is_dir():
                raise LuxguardError(f"{block.file}:{block.line}: module {name}: source {source} is not a directory")
            values = {k: self.evaluator.eval(v) for k, v in arguments.items()
                      if k not in ("source", "version", "providers", "depends_on")}
            providers = {"aws": self.providers["aws"]} if "aws" in self.providers else {}
            if "providers" in arguments:
                for inner, outer in _provider_mapping(arguments["providers"]).items():
                    providers[inner] = self.providers.get(outer) or Provider(Unknown(f"provider {outer} is not configured"))
            children[name] = Module(directory, f"{self.prefix}module.{name}.", values, providers, self.root, self.notes)
        return children

    def module_output(self, steps: list[Any], text: str) -> Any:
        if not steps or steps[0][1] not in self.children or len(steps) < 2:
            return Unknown(f"`{text}` is the output of a module not read here: {PLAN_HINT.removeprefix('or ')}")
        child = self.children[steps[0][1]]
        block = next((b for b in child.blocks if b.kind == "output" and b.labels == [steps[1][1]]), None)
        if block is None or "value" not in attributes_of(block.body):
            return Unknown(f"`{text}`: no such output")
        value = child.evaluator.eval(attributes_of(block.body)["value"])
        for step in steps[2:]:
            value = self.evaluator.step(value, step)
        return value

    def all_instances(self) -> list[Instance]:
        out = [i for b in self.blocks if b.kind == "resource" and len(b.labels) == 2 for i in self.instances(b)]
        for child in self.children.values():
            out += child.all_instances()
        return out


def _provider_mapping(node: Tree) -> dict[str, str]:
    """`providers = { aws = aws.eu }` -> {"aws": "aws.eu"} (provider references are not values)."""
    inner = trees(node)[0] if node.data == "expr_term" else node
    mapping = {}
    for elem in trees(inner) if inner.data == "object" else []:
        key, value = trees(elem)
        mapping[source_text(key)] = source_text(value)
    return mapping


def _variable_value(raw: str, block: Optional[Block]) -> Any:
    """A --var value: strings as written; numbers, bools, lists and maps as HCL."""
    type_expr = attributes_of(block.body).get("type") if block else None
    type_name = source_text(type_expr) if type_expr is not None else "string"
    if type_name == "string" or not raw.strip():
        return raw
    value = Evaluator(_NoNames()).eval(parse_expression(raw))
    return raw if is_unknown(value) else value


class _NoNames:
    def lookup(self, root: str, steps: list[Any], text: str) -> Any:
        return Unknown(f"`{text}` in a variable value")


def read_tfvars(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        data = parse_json(read_text(path, "variables file"), str(path), "JSON variables file")
        if not isinstance(data, dict):
            raise LuxguardError(f"{path}: a variables file holds an object")
        return data
    return {name: Evaluator(_NoNames()).eval(node) for name, node in parse_file(path)[1].items()}


def variable_values(directory: Path, var_files: tuple[Path, ...], variables: tuple[str, ...]) -> dict[str, Any]:
    """Terraform's precedence: terraform.tfvars, *.auto.tfvars, --var-file, then --var."""
    values: dict[str, Any] = {}
    auto = [directory / "terraform.tfvars", directory / "terraform.tfvars.json",
            *sorted(directory.glob("*.auto.tfvars")), *sorted(directory.glob("*.auto.tfvars.json"))]
    for path in [p for p in auto if p.is_file()] + [Path(p) for p in var_files]:
        if not path.is_file():
            raise LuxguardError(f"{path}: --var-file not found")
        values.update(read_tfvars(path))
    blocks = {}
    for path in sorted(directory.glob("*.tf")):
        blocks.update({b.labels[0]: b for b in parse_file(path)[0] if b.kind == "variable" and b.labels})
    for item in variables:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise LuxguardError(f"--var {item!r}: expected NAME=VALUE")
        values[name.strip()] = _variable_value(raw, blocks.get(name.strip()))
    return values


@dataclass
class TerraformResource:
    """One resource instance as Terraform arguments (for checkov and for the model)."""

    address: str
    type: str
    name: str
    values: dict[str, Any]
    region: Region
    file: str
    line: int


def read_directory(directory: Path, var_files: tuple[Path, ...] = (), variables: tuple[str, ...] = ()
                   ) -> tuple[list[TerraformResource], list[str]]:
    """Every managed resource instance of the root module and its local modules."""
    directory = Path(directory)
    root = Module(directory, "", variable_values(directory, var_files, variables), {})
    out = []
    for instance in root.all_instances():
        block = instance.block
        out.append(TerraformResource(instance.address, block.labels[0], block.labels[1], instance.values(),
                                     instance.region(), block.file, block.line))
    return out, root.notes


def declared(resources: list[TerraformResource], id_of: Optional[dict[str, str]] = None) -> tuple[list[DeclaredResource], list[str]]:
    """Terraform resources -> declared resources (the types luxguard models) + the others' types."""
    entries, others = [], []
    for res in resources:
        kind = terraform_type(res.type)
        if kind is None:
            others.append(res.type)
            continue
        physical = res.values.get(kind.physical_name) if kind.physical_name else None
        physical_id = (id_of or {}).get(res.address) or (physical if isinstance(physical, str) and physical else res.address)
        entries.append(DeclaredResource(address=res.address, declared_type=res.type, pulumi_type=kind.pulumi_type,
                                        name=res.name, id=physical_id, inputs=to_inputs(res.values, kind),
                                        region=res.region, file=res.file, line=res.line))
    return entries, others
