"""The history store on SQLite and on a real PostgreSQL server: the timeline of faulted runs,
and several first runs at once on an empty database.

PostgreSQL: LUXGUARD_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test) names a
server where the tests may create databases; each test gets its own, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from luxguard.core.listing import ListingFailure
from luxguard.core.model import Finding, Resource, Status
from luxguard.sinks.history import HistoryStore
from luxguard.sinks.outputs.json_format import finding_to_dict

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("LUXGUARD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the real server (created and dropped here)."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {ADMIN_URL}: {error}")
    name = f"luxguard_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    return request.getfixturevalue("postgres_url")


def finding(rule_id: str, resource_type: str, resource_id: str, status: Status, region: str = "lu-central-1") -> Finding:
    return Finding(rule_id=rule_id, category="access", severity="critical", status=status,
                   resource=Resource(type=resource_type, id=resource_id, region=region), message=f"{rule_id} {status}")


def listing_error(rule_id: str, resource_type: str, region: str = "eu-west-1") -> Finding:
    failure = ListingFailure(resource_type, region, "123456789012", "AccessDenied", "no")
    result = finding(rule_id, resource_type, failure.resource().id, Status.ERROR, region)
    result.extra["listing"] = failure.to_dict()
    return result


def record(store: HistoryStore, findings: list[Finding]) -> None:
    store.record_run("aws", "local#123456789012", datetime.now(timezone.utc), findings, len(findings),
                     {"failed": sum(f.status == Status.FAIL for f in findings)}, [finding_to_dict(f) for f in findings])


def open_violations(store: HistoryStore) -> dict[tuple[str, str], datetime]:
    return {(row["rule_id"], row["resource_id"]): row["first_seen"] for row in store.timeline()
            if row["resolved_at"] is None}


SG, BUCKET = "AWS::EC2::SecurityGroup", "AWS::S3::Bucket"


def test_faulted_runs_keep_violations_open_and_decided_runs_resolve_them(store_url):
    store = HistoryStore(store_url)
    record(store, [finding("LUX-ACC-004", SG, "sg-1", Status.FAIL), finding("LUX-ACC-003", BUCKET, "b-1", Status.FAIL),
                   finding("LUX-ENC-001", BUCKET, "b-1", Status.FAIL), finding("LUX-ACC-003", BUCKET, "b-2", Status.FAIL)])
    first = open_violations(store)
    assert len(first) == 4
    # The group listing failed in the group's region, b-1's ACL read failed, b-2's listing worked but
    # its ACL passed; b-1's encryption is fixed.
    record(store, [listing_error("LUX-ACC-004", SG, "lu-central-1"), finding("LUX-ACC-003", BUCKET, "b-1", Status.ERROR),
                   finding("LUX-ENC-001", BUCKET, "b-1", Status.PASS), finding("LUX-ACC-003", BUCKET, "b-2", Status.PASS)])
    assert open_violations(store) == {k: v for k, v in first.items() if k in {("LUX-ACC-004", "sg-1"),
                                                                               ("LUX-ACC-003", "b-1")}}
    # A complete run without the group (deleted) and with b-1 readable again and still public.
    record(store, [finding("LUX-ACC-003", BUCKET, "b-1", Status.FAIL)])
    assert open_violations(store) == {("LUX-ACC-003", "b-1"): first[("LUX-ACC-003", "b-1")]}


def test_a_listing_failed_in_another_region_does_not_keep_a_violation_open(store_url):
    store = HistoryStore(store_url)
    record(store, [finding("LUX-ACC-004", SG, "sg-lu", Status.FAIL), finding("LUX-ACC-004", SG, "sg-ie", Status.FAIL,
                                                                             "eu-west-1")])
    # Groups listed completely in lu-central-1 (sg-lu is gone), not in eu-west-1 (sg-ie unknown).
    record(store, [listing_error("LUX-ACC-004", SG, "eu-west-1")])
    assert set(open_violations(store)) == {("LUX-ACC-004", "sg-ie")}


def test_reports_can_be_scoped_to_accounts_and_regions(store_url):
    from luxguard.sinks.history import Scope
    from luxguard.sinks.reports import load_history

    store = HistoryStore(store_url)

    def owned(rule: str, rid: str, status: Status, region: str, account: str) -> Finding:
        result = finding(rule, BUCKET, rid, status, region)
        result.resource.account = account
        return result

    for run in (1, 2):
        record(store, [owned("LUX-RES-001", "a-ie", Status.FAIL, "eu-west-1", "111111111111"),
                       owned("LUX-RES-001", "a-lu", Status.PASS, "lu-central-1", "111111111111"),
                       *([owned("LUX-ENC-001", "b-lu", Status.FAIL, "lu-central-1", "222222222222")] if run == 2 else [])])
    everything = load_history(store_url)
    assert [p.failed for p in everything.trend] == [1, 2]
    only_b = load_history(store_url, scope=Scope(accounts=("222222222222",)))
    assert {f["resource"]["id"] for f in only_b.findings} == {"b-lu"}
    assert [(p.failed, p.resources) for p in only_b.trend] == [(0, 0), (1, 1)]
    assert {row["resource_id"] for row in only_b.timeline} == {"b-lu"}
    assert only_b.notes and "222222222222" in only_b.notes[0]
    in_lu = load_history(store_url, scope=Scope(regions=("lu-central-1",)))
    assert {f["resource"]["id"] for f in in_lu.findings} == {"a-lu", "b-lu"} and in_lu.resources == 2
    assert {row["resource_id"] for row in in_lu.timeline} == {"b-lu"}
    assert load_history(store_url, scope=Scope(accounts=("333333333333",))).findings == []


WRITER = """
import sys, time
from datetime import datetime, timezone
from luxguard.core.model import Finding, Resource, Status
from luxguard.sinks.history import HistoryStore
url, start, n = sys.argv[1], float(sys.argv[2]), sys.argv[3]
time.sleep(max(0.0, start - time.time()))
store = HistoryStore(url)
f = Finding("LUX-ACC-004", "access", "critical", Status.FAIL, Resource("AWS::EC2::SecurityGroup", "sg-" + n), "open")
store.record_run("aws", "t" + n, datetime.now(timezone.utc), [f], 1, {"failed": 1}, [{"rule_id": f.rule_id}])
"""


def test_four_simultaneous_first_runs_on_an_empty_postgresql_database(postgres_url):
    start = time.time() + 4   # every writer has imported luxguard by then; they open the store together
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, postgres_url, str(start), str(n)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    results = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], [err for _, err in results]
    store = HistoryStore(postgres_url)
    assert sorted(r.target for r in store.runs()) == ["t0", "t1", "t2", "t3"]
    assert len(store.timeline()) == 4


def test_postgresql_urls_use_psycopg_and_hide_the_password(postgres_url):
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@")
    store = HistoryStore(with_password)
    assert store.engine.dialect.driver == "psycopg"
    assert "s3cret" not in store.display_url and store.display_url.startswith("postgresql://")


def test_report_command_filters_by_account_and_region(tmp_path, capsys):
    from tests.helpers import run_cli

    db = str(tmp_path / "history.db")
    store = HistoryStore(db)
    kept, other = finding("LUX-RES-001", BUCKET, "kept-bucket", Status.FAIL, "eu-west-1"), \
        finding("LUX-RES-001", BUCKET, "other-bucket", Status.FAIL, "eu-west-1")
    kept.resource.account, other.resource.account = "111111111111", "222222222222"
    record(store, [kept, other])
    code, out, err = run_cli(capsys, "report", "--db", db, "--format", "markdown", "--account", "111111111111",
                             "--region", "eu-west-1")
    assert code == 0, err
    assert "kept-bucket" in out and "other-bucket" not in out


def test_an_older_history_gains_the_columns_and_indexes_for_organisation_timelines(store_url):
    import sqlalchemy

    store = HistoryStore(store_url)
    with store.engine.begin() as connection:   # as a 0.1 history was: no account/region, no new indexes
        connection.execute(sqlalchemy.text("DROP INDEX ix_timeline_account_resource"))
        connection.execute(sqlalchemy.text("DROP INDEX ix_timeline_resource"))
    record(store, [finding("LUX-ACC-004", SG, "sg-1", Status.FAIL)])
    reopened = HistoryStore(store_url)
    inspector = sqlalchemy.inspect(reopened.engine)
    names = {index["name"] for index in inspector.get_indexes("timeline")}
    assert {"ix_timeline_resource", "ix_timeline_account_resource"} <= names
    assert "ix_findings_run_account" in {index["name"] for index in inspector.get_indexes("findings")}
    assert {"region", "account"} <= {column["name"] for column in inspector.get_columns("timeline")}
    assert len(reopened.timeline()) == 1
