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
from typing import Any, Iterator, Optional

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from luxguard.core.errors import LuxguardError
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
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)                             # the finding as findings JSON


class Timeline(Base):
    """One row per (source, target, fingerprint): when a failing finding was first and last seen."""

    __tablename__ = "timeline"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), index=True)
    target: Mapped[str] = mapped_column(String(512), index=True)
    fingerprint: Mapped[str] = mapped_column(String(1024), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(512))
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
    return "|".join([finding.rule_id, finding.resource.type, finding.resource.id, str(extra)])


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown without credentials at all
        return url.split("@")[-1]


def database_url(value: Optional[str]) -> str:
    if value and "://" in value:
        return value
    path = Path(value) if value else DEFAULT_DB
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:   # read-only working directory, a file named .luxguard, NUL in --db
        reason = getattr(exc, "strerror", None) or str(exc)
        raise LuxguardError(f"{path.parent}: cannot create the history directory ({reason}); "
                            f"pass --db PATH|URL or --no-history") from None
    return f"sqlite:///{path}"


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
        self.display_url = redacted(self.url)
        try:
            self.engine = create_engine(self.url, future=True)
            Base.metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError, OSError) as exc:
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
                failing: dict[str, Finding] = {}
                for finding, as_dict in zip(findings, finding_dicts):
                    key = fingerprint(finding)
                    session.add(StoredFinding(
                        run_id=run.id, fingerprint=key, rule_id=finding.rule_id, category=finding.category,
                        severity=finding.severity, status=finding.status.value, resource_type=finding.resource.type,
                        resource_id=finding.resource.id, region=finding.resource.region, message=finding.message,
                        data=json.loads(json.dumps(as_dict, default=str))))
                    if finding.status == Status.FAIL:
                        failing[key] = finding
                self._move_timeline(session, source, target, failing, now)
                return run.id
        except SQLAlchemyError as exc:
            raise LuxguardError(f"history store {self.display_url}: could not record the run, history unchanged "
                                f"({str(exc).splitlines()[0]})") from None

    @staticmethod
    def _move_timeline(session: Session, source: str, target: str, failing: dict[str, Finding], now: datetime) -> None:
        rows = session.scalars(select(Timeline).where(Timeline.source == source, Timeline.target == target)).all()
        open_rows = {row.fingerprint: row for row in rows if row.resolved_at is None}
        for key, finding in failing.items():
            row = open_rows.get(key)
            if row is None:
                session.add(Timeline(source=source, target=target, fingerprint=key, rule_id=finding.rule_id,
                                     resource_type=finding.resource.type, resource_id=finding.resource.id,
                                     first_seen=now, last_seen=now))
            else:
                row.last_seen = now
        for key, row in open_rows.items():
            if key not in failing:
                row.resolved_at = now

    def runs(self, source: Optional[str] = None) -> list[RunRecord]:
        with self.sessions() as session:
            query = select(Run).order_by(Run.id)
            if source:
                query = query.where(Run.source == source)
            return [RunRecord(r.id, r.source, r.target, r.started_at, r.finished_at, r.resources, r.summary)
                    for r in session.scalars(query)]

    def findings(self, run_id: int) -> list[dict]:
        with self.sessions() as session:
            return [row.data for row in session.scalars(select(StoredFinding).where(StoredFinding.run_id == run_id)
                                                        .order_by(StoredFinding.id))]

    def timeline(self) -> list[dict]:
        with self.sessions() as session:
            rows = session.scalars(select(Timeline).order_by(Timeline.resource_type, Timeline.resource_id,
                                                             Timeline.rule_id, Timeline.first_seen))
            return [{"source": r.source, "target": r.target, "rule_id": r.rule_id, "resource_type": r.resource_type,
                     "resource_id": r.resource_id, "first_seen": r.first_seen, "last_seen": r.last_seen,
                     "resolved_at": r.resolved_at} for r in rows]

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
