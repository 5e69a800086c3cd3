"""Scan history: runs, their findings, and each finding's timeline (first seen, last seen, resolved).

SQLite by default, any SQLAlchemy URL (e.g. postgresql://) for a team. A run is written in one
transaction after it has finished, so a scan that crashes or is interrupted leaves the history
exactly as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    distinct,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from luxguard.core.errors import LuxguardError
from luxguard.core.listing import ListingFailure, is_listing_finding
from luxguard.core.model import Finding, Status

DEFAULT_DB = Path(".luxguard") / "history.db"


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)        # aws | drift | pulumi
    target: Mapped[str] = mapped_column(String(512), index=True)       # endpoint/account or stack
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resources: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON)


class StoredFinding(Base):
    __tablename__ = "findings"
    # An organisation's report reads one run's findings of some accounts, and counts them per run.
    __table_args__ = (Index("ix_findings_run_account", "run_id", "account"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(1024), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(512))
    region: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    account: Mapped[Optional[str]] = mapped_column(String(32), nullable=True, index=True)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)                             # the finding as findings JSON


class Timeline(Base):
    """One row per (source, target, fingerprint): when a failing finding was first and last seen."""

    __tablename__ = "timeline"
    # Per-resource and per-account timelines (report --account, a resource's history).
    __table_args__ = (Index("ix_timeline_resource", "resource_type", "resource_id"),
                      Index("ix_timeline_account_resource", "account", "resource_type", "resource_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    target: Mapped[str] = mapped_column(String(512), index=True)
    fingerprint: Mapped[str] = mapped_column(String(1024), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(512))
    region: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)     # None in 0.1 histories
    account: Mapped[Optional[str]] = mapped_column(String(32), nullable=True, index=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    """The enforcer's record of each action: before and after, who and when."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(256))
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(512))
    rule_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(32))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


def fingerprint(finding: Finding) -> str:
    """Stable identity of a finding across runs (drift findings add the property or kind)."""
    drift = finding.drift or {}
    extra = drift.get("property") or drift.get("kind") or ""
    parts = [finding.rule_id, finding.resource.type, finding.resource.id, str(extra)]
    if finding.resource.account:   # ids repeat across accounts (EBS defaults are per region)
        parts.append(finding.resource.account)
    return "|".join(parts)


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown without credentials at all
        return url.split("@")[-1]


def database_url(value: Optional[str]) -> str:
    """A SQLAlchemy URL; postgresql:// (and postgres://) use psycopg 3 (`luxguard[postgres]`)."""
    if value and "://" in value:
        scheme, rest = value.split("://", 1)
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else value
    path = Path(value) if value else DEFAULT_DB
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:   # read-only working directory, a file named .luxguard, NUL in --db
        reason = getattr(exc, "strerror", None) or str(exc)
        raise LuxguardError(f"{path.parent}: cannot create the history directory ({reason}); "
                            f"pass --db PATH|URL or --no-history") from None
    return f"sqlite:///{path}"


# Any fixed number: the PostgreSQL advisory lock that serialises creating the tables.
CREATE_TABLES_LOCK = 0x6C7578


def create_tables(engine: Engine) -> None:
    """Create missing tables; several first runs at once on an empty PostgreSQL database take
    turns (an advisory lock held until the DDL commits), so none fails on a half-made table."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATE_TABLES_LOCK})
        Base.metadata.create_all(connection)
        add_missing_columns(connection)
        for table in Base.metadata.sorted_tables:   # an older history gains the indexes added since
            for index in table.indexes:
                index.create(connection, checkfirst=True)


ADDED_COLUMNS = (("findings", "account", "VARCHAR(32)"), ("timeline", "region", "VARCHAR(64)"),
                 ("timeline", "account", "VARCHAR(32)"))


def add_missing_columns(connection: Any) -> None:
    """A 0.1 history gains the columns added since (nullable, so old rows stay valid)."""
    for table, column, sql_type in ADDED_COLUMNS:
        present = {c["name"] for c in inspect(connection).get_columns(table)}
        if column not in present:
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))


@dataclass
class RunOutcome:
    """What one run decided, and what it could not see: only a decided "not failing" resolves."""

    failing: dict[str, Finding]
    decided: set[str]                     # fingerprints that passed or were waived
    undecided: set[str]                   # fingerprints that were `error`
    seen: set[tuple[str, str]]            # (type, id) of resources the run read and judged
    errored: set[tuple[str, str]]         # (type, id) of resources with any `error` finding
    unlisted: list[ListingFailure]        # the run's failed listings (type, region, account)

    @classmethod
    def of(cls, findings: list[Finding]) -> "RunOutcome":
        outcome = cls({}, set(), set(), set(), set(), [])
        for finding in findings:
            key, resource = fingerprint(finding), (finding.resource.type, finding.resource.id)
            if is_listing_finding(finding):
                outcome.unlisted.append(ListingFailure(**finding.extra["listing"]))
            elif finding.status == Status.ERROR:
                outcome.undecided.add(key)
                outcome.errored.add(resource)
            else:
                outcome.seen.add(resource)
                if finding.status == Status.FAIL:
                    outcome.failing[key] = finding
                else:
                    outcome.decided.add(key)
        return outcome

    def listed(self, resource_type: str, region: Optional[str], account: Optional[str]) -> bool:
        """Was this type's listing complete where the resource lives? A row without a region (a 0.1
        history) is covered by a failure in any region of its account."""
        for failure in self.unlisted:
            if account and failure.account and failure.account != account:
                continue
            if failure.covers(resource_type, region) or (region is None and failure.resource_type == resource_type):
                return False
        return True

    def resolves(self, key: str, resource_type: str, resource_id: str, region: Optional[str] = None,
                 account: Optional[str] = None) -> bool:
        """An open violation this run did not see fail: resolved only when the run saw it pass, or
        saw its resource judged without it (the rule no longer applies), or listed that type
        completely without finding the resource (deleted). A resource that errored or whose type's
        listing failed in its region and account keeps its violations open (a transient fault
        resolves nothing)."""
        if key in self.decided:
            return True
        if key in self.undecided or (resource_type, resource_id) in self.errored:
            return False
        if (resource_type, resource_id) in self.seen:
            return True
        return self.listed(resource_type, region, account)


@dataclass(frozen=True)
class Scope:
    """Which accounts and regions a report is about (empty: all). Rows recorded before accounts or
    regions were stored have none, so they fall outside any filter on them."""

    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.accounts or self.regions)

    def where(self, query: Any, table: Any) -> Any:
        if self.accounts:
            query = query.where(table.account.in_(self.accounts))
        if self.regions:
            query = query.where(table.region.in_(self.regions))
        return query

    def admits(self, resource: Mapping[str, Any]) -> bool:
        """The same test as `where`, on a findings-JSON resource (a findings file has no database)."""
        return ((not self.accounts or resource.get("account") in self.accounts)
                and (not self.regions or resource.get("region") in self.regions))

    def describe(self) -> str:
        parts = ([f"accounts {', '.join(self.accounts)}"] if self.accounts else []) + (
            [f"regions {', '.join(self.regions)}"] if self.regions else [])
        return " and ".join(parts)


@dataclass
class RunRecord:
    id: int
    source: str
    target: str
    started_at: datetime
    finished_at: datetime
    resources: int
    summary: dict


class HistoryStore:
    """Open (and create) the history database; every public method is one transaction."""

    def __init__(self, location: Optional[str] = None):
        self.url = database_url(location)
        self.display_url = redacted(location if location and "://" in location else self.url)
        try:
            self.engine = create_engine(self.url, future=True)
            create_tables(self.engine)
        except ImportError as exc:
            raise LuxguardError(f"history store {self.display_url}: cannot open ({exc}; for PostgreSQL, "
                                f"install luxguard[postgres])") from None
        except (SQLAlchemyError, OSError) as exc:
            raise LuxguardError(f"history store {self.display_url}: cannot open ({str(exc).splitlines()[0]})") from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def record_run(self, source: str, target: str, started_at: datetime, findings: list[Finding],
                   resources: int, summary: dict, finding_dicts: list[dict]) -> int:
        """Store a finished run and move each failing finding's timeline, atomically."""
        now = datetime.now(timezone.utc)
        try:
            with self.sessions.begin() as session:
                run = Run(source=source, target=target, started_at=started_at, finished_at=now,
                          resources=resources, summary=summary)
                session.add(run)
                session.flush()
                for finding, as_dict in zip(findings, finding_dicts):
                    session.add(StoredFinding(
                        run_id=run.id, fingerprint=fingerprint(finding), rule_id=finding.rule_id,
                        category=finding.category, severity=finding.severity, status=finding.status.value,
                        resource_type=finding.resource.type, resource_id=finding.resource.id,
                        region=finding.resource.region, account=finding.resource.account,
                        message=finding.message,
                        data=json.loads(json.dumps(as_dict, default=str))))
                self._move_timeline(session, source, target, RunOutcome.of(findings), now)
                return run.id
        except SQLAlchemyError as exc:
            raise LuxguardError(f"history store {self.display_url}: could not record the run, history unchanged "
                                f"({str(exc).splitlines()[0]})") from None

    @staticmethod
    def _move_timeline(session: Session, source: str, target: str, outcome: "RunOutcome", now: datetime) -> None:
        rows = session.scalars(select(Timeline).where(Timeline.source == source, Timeline.target == target)).all()
        open_rows = {row.fingerprint: row for row in rows if row.resolved_at is None}
        for key, finding in outcome.failing.items():
            row = open_rows.get(key)
            if row is None:
                session.add(Timeline(source=source, target=target, fingerprint=key, rule_id=finding.rule_id,
                                     resource_type=finding.resource.type, resource_id=finding.resource.id,
                                     region=finding.resource.region, account=finding.resource.account,
                                     first_seen=now, last_seen=now))
            else:
                row.last_seen = now
        for key, row in open_rows.items():
            if key not in outcome.failing and outcome.resolves(key, row.resource_type, row.resource_id, row.region,
                                                               row.account):
                row.resolved_at = now

    def runs(self, source: Optional[str] = None) -> list[RunRecord]:
        with self.sessions() as session:
            query = select(Run).order_by(Run.id)
            if source:
                query = query.where(Run.source == source)
            return [RunRecord(r.id, r.source, r.target, r.started_at, r.finished_at, r.resources, r.summary)
                    for r in session.scalars(query)]

    def findings(self, run_id: int, scope: Optional["Scope"] = None) -> list[dict]:
        with self.sessions() as session:
            query = select(StoredFinding).where(StoredFinding.run_id == run_id).order_by(StoredFinding.id)
            if scope is not None:
                query = scope.where(query, StoredFinding)
            return [row.data for row in session.scalars(query)]

    def timeline(self, scope: Optional["Scope"] = None) -> list[dict]:
        with self.sessions() as session:
            query = select(Timeline).order_by(Timeline.resource_type, Timeline.resource_id, Timeline.rule_id,
                                              Timeline.first_seen)
            if scope is not None:
                query = scope.where(query, Timeline)
            rows = session.scalars(query)
            return [{"source": r.source, "target": r.target, "rule_id": r.rule_id, "resource_type": r.resource_type,
                     "resource_id": r.resource_id, "region": r.region, "account": r.account,
                     "first_seen": r.first_seen, "last_seen": r.last_seen, "resolved_at": r.resolved_at} for r in rows]

    def run_counts(self, scope: "Scope") -> dict[int, dict[str, int]]:
        """Per run, the failed and waived findings and the judged resources within the scope
        (one grouped query: a filtered trend without loading every run's findings)."""
        with self.sessions() as session:
            by_status = scope.where(select(StoredFinding.run_id, StoredFinding.status, func.count())
                                    .group_by(StoredFinding.run_id, StoredFinding.status), StoredFinding)
            resource = StoredFinding.resource_type + "|" + StoredFinding.resource_id
            judged = scope.where(select(StoredFinding.run_id, func.count(distinct(resource)))
                                 .group_by(StoredFinding.run_id), StoredFinding)
            counts: dict[int, dict[str, int]] = {}
            for run_id, status, number in session.execute(by_status):
                entry = counts.setdefault(run_id, {"failed": 0, "waived": 0, "resources": 0})
                if status in ("fail", "waived"):
                    entry["failed" if status == "fail" else "waived"] = number
            for run_id, number in session.execute(judged):
                counts[run_id]["resources"] = number
            return counts

    def record_audit(self, entries: list[dict]) -> None:
        """Append enforcer actions (one transaction for the batch)."""
        try:
            with self.sessions.begin() as session:
                for entry in entries:
                    session.add(AuditEntry(**entry))
        except SQLAlchemyError as exc:
            raise LuxguardError(f"history store {self.display_url}: could not record the audit log ({exc})") from None

    def audit(self) -> Iterator[dict]:
        with self.sessions() as session:
            for row in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
                yield {"at": row.at, "actor": row.actor, "resource_type": row.resource_type,
                       "resource_id": row.resource_id, "rule_id": row.rule_id, "action": row.action,
                       "outcome": row.outcome, "before": row.before, "after": row.after, "detail": row.detail}
