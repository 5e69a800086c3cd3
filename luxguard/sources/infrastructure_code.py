"""Which kind of infrastructure code a path holds, and reading it into the model.

`luxguard check PATH` takes a Terraform directory, a Terraform plan JSON, a CloudFormation
template, or a directory of templates; each becomes declared resources (terraform_hcl.py,
terraform_plan.py, cloudformation.py) and then one model (iac_common.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from luxguard.core.datafiles import check_depth, read_text
from luxguard.core.errors import LuxguardError
from luxguard.sources.cloudformation import read_template, read_templates
from luxguard.sources.iac_common import DeclaredModel, not_modelled_notes, to_model
from luxguard.sources.terraform_hcl import declared, read_directory
from luxguard.sources.terraform_plan import is_plan, read_plan

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")


@dataclass(frozen=True)
class IacOptions:
    """What the user passes to make values known: Terraform variables, template parameters, region."""

    region: Optional[str] = None
    variables: tuple[str, ...] = ()
    var_files: tuple[Path, ...] = ()
    parameters: tuple[str, ...] = ()


@dataclass
class IacSource:
    kind: str                          # terraform | terraform_plan | cloudformation
    path: Path
    templates: list[Path] = field(default_factory=list)

    @property
    def source_name(self) -> str:
        return "cloudformation" if self.kind == "cloudformation" else "terraform"


def _json_document(path: Path) -> Optional[dict]:
    """The file as a JSON object, or None when it is JSON of another shape or no JSON at all."""
    text = read_text(path, "file")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    check_depth(document, str(path))
    return document if isinstance(document, dict) else None


def detect(path: Path) -> IacSource:
    path = Path(path)
    if not path.exists():
        raise LuxguardError(f"{path}: path not found")
    if path.is_dir():
        if any(path.glob("*.tf")):
            return IacSource("terraform", path)
        templates = [p for p in sorted(path.iterdir()) if p.is_file() and p.suffix in TEMPLATE_SUFFIXES
                     and read_template(p) is not None]
        if templates:
            return IacSource("cloudformation", path, templates)
        raise LuxguardError(f"{path}: not a Pulumi project (no Pulumi.yaml) nor a Terraform directory (no *.tf files) "
                            "nor a directory of CloudFormation templates")
    if path.suffix == ".tf":
        raise LuxguardError(f"{path}: pass the Terraform directory, not one .tf file (variables and modules span files)")
    if path.suffix == ".json" and is_plan(_json_document(path)):
        return IacSource("terraform_plan", path)
    if read_template(path) is not None:
        return IacSource("cloudformation", path, [path])
    raise LuxguardError(f"{path}: not a Terraform directory, Terraform plan JSON or CloudFormation template")


def read(source: IacSource, options: IacOptions) -> DeclaredModel:
    """The source's resources in the model, with notes on what could not be read."""
    if source.kind == "cloudformation":
        entries, others, notes = read_templates(source.templates, options.region, options.parameters)
    else:
        if source.kind == "terraform_plan":
            resources, ids = read_plan(source.path, _json_document(source.path) or {})
            notes = []
        else:
            resources, notes = read_directory(source.path, options.var_files, options.variables)
            ids = None
        entries, others = declared(resources, ids)
    model = to_model(entries)
    model.notes = sorted(set(notes)) + not_modelled_notes(others)
    return model
