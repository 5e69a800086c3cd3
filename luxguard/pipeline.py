"""The stages of a run wired together once, so every command and the policy pack agree."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Optional

from luxguard.core.engine import Engine
from luxguard.core.errors import LuxguardError
from luxguard.core.listing import ListingFailure
from luxguard.policy.exceptions import Exceptions, load_approvals, load_waivers
from luxguard.core.locations import DEFAULT_HOME_REGION, DEFAULT_PINNED_COUNTRY, Locations, country_code, load_locations
from luxguard.core.model import Resource, sort_findings
from luxguard.sinks.outputs import Report
from luxguard.sources.pulumi_capture import DEFAULT_ACCOUNT, DEFAULT_TIMEOUT, Capture, capture_program
from luxguard.sources.pulumi_normalise import coverage_notes, normalise
from luxguard.core.rules import Rule, load_rules


NOTHING_EVALUATED = "nothing evaluated: no resource of a type luxguard models was found"


@dataclass
class Settings:
    """What every command shares: the rule catalogue, locations, the pinned country and the home
    region. The only place their defaults are resolved: read them through pinned() and home()."""

    rule_dirs: tuple[Path, ...] = ()
    location_files: tuple[Path, ...] = ()
    pinned_country: Optional[str] = None
    home_region: Optional[str] = None
    approvals_file: Optional[Path] = None
    waivers_file: Optional[Path] = None
    as_of: Optional[date] = None
    trusted_accounts: tuple[str, ...] = ()   # --trusted-account: beyond the scanned account and its organization
    # Files are read and validated once per Settings, not once per stage that needs them.
    _rules: Optional[list[Rule]] = field(default=None, init=False, repr=False, compare=False)
    _locations: Optional[Locations] = field(default=None, init=False, repr=False, compare=False)

    def rules(self) -> list[Rule]:
        if self._rules is None:
            self._rules = load_rules(self.rule_dirs)
        return self._rules

    def locations(self) -> Locations:
        if self._locations is None:
            self._locations = load_locations(self.location_files)
        return self._locations

    def pinned(self, stack_default: Optional[str] = None) -> str:
        """--pinned-country, else the stack's own (luxguard:pinnedCountry), else LU."""
        if self.pinned_country:
            return self.pinned_country
        if stack_default:
            return country_code(str(stack_default), "stack config luxguard:pinnedCountry")
        return DEFAULT_PINNED_COUNTRY

    def home(self) -> str:
        """The region account-wide calls go to: given, else $AWS_DEFAULT_REGION, else lu-central-1."""
        return self.home_region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_HOME_REGION

    def engine(self, stack_pinned: Optional[str] = None) -> Engine:
        engine = Engine.create(self.rules(), self.locations(), self.pinned(stack_pinned))
        engine.trust(self.trusted_accounts)
        return engine

    def exceptions(self, rules: list[Rule]) -> Exceptions:
        """Approvals and waivers in force on --as-of (default: today)."""
        return Exceptions(
            approvals=load_approvals(self.approvals_file) if self.approvals_file else [],
            waivers=load_waivers(self.waivers_file, rules) if self.waivers_file else [],
            today=self.as_of or date.today(),
        )

    def validate_inputs(self) -> None:
        """Load every input file once, so a bad one stops the run before any work."""
        self.exceptions(self.rules())
        self.locations()


def default_stack(program_dir: Path) -> str:
    """The only Pulumi.<stack>.yaml in the directory; otherwise the user must say which."""
    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in program_dir.glob("Pulumi.*.yaml"))
    if len(stacks) == 1:
        return stacks[0]
    if not stacks:
        raise LuxguardError(f"{program_dir}: no Pulumi.<stack>.yaml stack config found (pass --stack NAME)")
    raise LuxguardError(f"{program_dir}: several stacks ({', '.join(stacks)}); pass --stack NAME")


def load_capture(path: Optional[Path], stack: Optional[str], plan: Optional[Path],
                 timeout: float = DEFAULT_TIMEOUT, stack_outputs: Optional[dict[str, dict]] = None) -> Capture:
    if plan is not None:
        return Capture.from_file(plan)
    program_dir = Path(path or ".")
    if not program_dir.exists():
        raise LuxguardError(f"{program_dir}: path not found")
    if program_dir.is_file() or not (program_dir / "Pulumi.yaml").is_file():
        raise LuxguardError(f"{program_dir}: not a Pulumi project (no Pulumi.yaml)")
    return capture_program(program_dir, stack or default_stack(program_dir), timeout=timeout,
                           stack_outputs=stack_outputs)


def is_pulumi_project(path: Optional[Path]) -> bool:
    return path is None or (path.is_dir() and (path / "Pulumi.yaml").is_file())


def check_infrastructure_code(path: Path, settings: Settings, options: Optional["IacOptions"] = None,
                              with_checkov: Optional[bool] = None) -> Report:
    """Terraform (directory or plan) or CloudFormation: read into the model and judged by every
    rule like a Pulumi program; checkov's own checks merged in (on by default for these sources)."""
    from luxguard.sources.infrastructure_code import IacOptions, detect, read

    source = detect(path)
    model = read(source, options or IacOptions())
    engine = settings.engine()
    engine.trust([DEFAULT_ACCOUNT])   # the account the templates' own references (AWS::AccountId) resolve to
    report = Report(source=source.source_name, findings=engine.evaluate(model.resources),
                    resources=len(model.resources), rules=engine.rules,
                    base_dir=source.path if source.path.is_dir() else source.path.parent, notes=list(model.notes))
    if with_checkov is not False:
        _merge_checkov(report, source, model, engine.rules, required=bool(with_checkov))
    apply_exceptions(report, engine, settings)
    return report


def _merge_checkov(report: Report, source: Any, model: Any, rules: list[Rule], required: bool) -> None:
    from luxguard.sources.checkov.iac import checkov_findings
    from luxguard.sources.checkov.runner import CHECKOV_INSTALL_HINT, find_checkov

    if not required:
        try:
            find_checkov()
        except LuxguardError:
            report.notes.append(f"checkov is not installed: its built-in checks did not run "
                                f"({CHECKOV_INSTALL_HINT}; --without-checkov silences this)")
            return
    findings, notes = checkov_findings(source, model, rules, report.findings)
    report.findings = sort_findings(report.findings + findings)
    report.notes += notes


def add_checkov_findings(report: Report, capture: Capture) -> None:
    """`check --with-checkov`: checkov's built-in checks on the program, merged into the report."""
    from luxguard.sources.checkov.runner import check_capture_with_checkov, skipped_note

    run = check_capture_with_checkov(capture)
    report.findings = sort_findings(report.findings + run.findings)
    report.notes += run.notes + ([skipped_note(run.skipped)] if run.skipped else [])


def stack_accounts(config: dict) -> list[str]:
    """The accounts a stack deploys into: the one its program sees as its own (luxguard:accountId,
    or the mocks' account) and aws:allowedAccountIds."""
    allowed = config.get("aws:allowedAccountIds") or []
    if isinstance(allowed, str):
        allowed = [a.strip(' "') for a in allowed.strip("[]").split(",")]
    return [str(config.get("luxguard:accountId") or DEFAULT_ACCOUNT), *(str(a) for a in allowed if a)]


def check_capture(capture: Capture, settings: Settings) -> Report:
    """Normalise and evaluate a captured program: the verdicts of `luxguard check`."""
    stack_pinned = capture.config.get("luxguard:pinnedCountry")
    engine = settings.engine(str(stack_pinned) if stack_pinned else None)
    engine.trust(stack_accounts(capture.config))
    resources = normalise(capture)
    report = evaluate(engine, settings, resources, "pulumi", Path(capture.program_dir) if capture.program_dir else None)
    report.notes = sorted(set(report.notes) | set(capture.notes) | set(coverage_notes(capture)))
    return report


def evaluate(engine: Engine, settings: Settings, resources: Iterable[Resource], source: str,
             base_dir: Optional[Path] = None, failures: Iterable[ListingFailure] = ()) -> Report:
    """Rules, then approvals and waivers: the findings every command reports (failed listings
    are `error` findings on every rule of their type)."""
    resources = list(resources)
    report = Report(source=source, findings=engine.evaluate(resources, failures), resources=len(resources),
                    rules=engine.rules, base_dir=base_dir)
    if not resources:
        report.notes.append(NOTHING_EVALUATED)
    apply_exceptions(report, engine, settings)
    return report


def apply_exceptions(report: Report, engine: Engine, settings: Settings) -> None:
    """Approvals and waivers on a finished report, whatever produced it (rules, drift, checkov)."""
    exceptions = settings.exceptions(engine.rules)
    exceptions.apply(report.findings, engine.rules, engine.locations, engine.pinned_country)
    report.findings = sort_findings(report.findings)
    report.notes = sorted(set(report.notes) | set(exceptions.notes()))
