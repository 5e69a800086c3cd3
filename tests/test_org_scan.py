"""Organisation scans: an Organization of several accounts on the local cloud, roles assumed into
each, scanned in-process and on real Celery workers with a real Redis broker (LUXGUARD_TEST_REDIS, or
a redis-server started for the tests when none answers there), with the history in a real
PostgreSQL server (LUXGUARD_TEST_POSTGRES)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from tests.moto_cloud import ALL_BLOCKED, EU, LU, tls_policy

REPO = Path(__file__).resolve().parent.parent
REDIS = os.environ.get("LUXGUARD_TEST_REDIS", "redis://127.0.0.1:6379")
POSTGRES = os.environ.get("LUXGUARD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(f"{url}/0", socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001 - any failure means: not there
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis at LUXGUARD_TEST_REDIS, or else a real redis-server started for these tests."""
    if _redis_answers(REDIS):
        yield REDIS
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(f"no Redis at {REDIS} and no redis-server to start")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path_factory.mktemp("redis"))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _redis_answers(url):
            assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def member_session(endpoint: str, account: str) -> boto3.Session:
    """A member account's session through its OrganizationAccountAccessRole, as the scan assumes it."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="seed")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=LU)


def member_estate(endpoint: str) -> dict:
    """An Organization with three members: one compliant, one violating, one we cannot get into."""
    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    ids = {}
    for name in ("billing", "web", "locked"):
        ids[name] = org.create_account(Email=f"{name}@luxcloud.lu", AccountName=name)["CreateAccountStatus"]["AccountId"]
    for name in ("billing", "web"):
        member = member_session(endpoint, ids[name])
        bucket, region = f"{name}-data", LU if name == "billing" else EU
        s3 = member.client("s3", endpoint_url=endpoint, region_name=region)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_BLOCKED)
        s3.put_bucket_policy(Bucket=bucket, Policy=tls_policy(bucket))
        if name == "web":
            ec2 = member.client("ec2", endpoint_url=endpoint)
            vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
            group = ec2.create_security_group(GroupName="ssh-world", Description="x", VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            ids["web_group"] = group
    return ids


def accounts_file(tmp_path: Path, ids: dict, endpoint: str) -> Path:
    """billing and web through the normal role; `locked` behind an endpoint that refuses."""
    path = tmp_path / "accounts.yaml"
    entries = [{"id": ids["billing"], "regions": [LU, EU]}, {"id": ids["web"], "regions": [LU, EU]},
               {"id": ids["locked"], "regions": [LU], "endpoint_url": "http://127.0.0.1:9"}]
    path.write_text(json.dumps({"accounts": entries}))
    return path


def run_cli(args: list[str], cwd: Path, endpoint: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_ENDPOINT_URL": endpoint}
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def findings_by(report: dict) -> list[tuple]:
    return sorted((f["rule_id"], f["status"], f["resource"].get("account"), f["resource"]["type"], f["resource"]["id"],
                   f["resource"]["region"]) for f in report["findings"])


def scan_args(path: Path, endpoint: str, *extra: str) -> list[str]:
    return ["scan", "--accounts", str(path), "--endpoint-url", endpoint, "--format", "json", "--no-history", *extra]


@pytest.fixture
def org(fresh_cloud: str, tmp_path: Path) -> dict:
    ids = member_estate(fresh_cloud)
    return {"ids": ids, "endpoint": fresh_cloud, "accounts": accounts_file(tmp_path, ids, fresh_cloud)}


def test_in_process_scan_finds_member_violations_and_reports_the_locked_account(org, tmp_path):
    done = run_cli(scan_args(org["accounts"], org["endpoint"]), tmp_path, org["endpoint"])
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    ids = org["ids"]
    rows = findings_by(report)
    assert ("LUX-RES-001", "fail", ids["web"], "AWS::S3::Bucket", "web-data", EU) in rows
    assert ("LUX-ACC-004", "fail", ids["web"], "AWS::EC2::SecurityGroup", ids["web_group"], LU) in rows
    assert ("LUX-RES-001", "pass", ids["billing"], "AWS::S3::Bucket", "billing-data", LU) in rows
    locked = [r for r in rows if r[2] == ids["locked"]]
    assert locked and {r[1] for r in locked} == {"error"}
    assert {r[3] for r in locked} >= {"AWS::S3::Bucket", "AWS::EC2::SecurityGroup", "AWS::KMS::Key"}
    assert report["summary"]["errors"] == len(locked)
    assert not [r for r in rows if r[2] is None]


def test_an_approval_limited_to_one_account_waives_only_that_accounts_transfer(org, tmp_path):
    """One approvals file serves the organisation; `accounts` limits an approval to findings in
    those accounts, so the same transfer in another member account still fails."""
    ids = org["ids"]
    for name in ("billing", "web"):   # the same contact-data bucket in Ireland in both accounts
        s3 = member_session(org["endpoint"], ids[name]).client("s3", endpoint_url=org["endpoint"], region_name=EU)
        bucket = f"{name}-crm"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": EU})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "data-classification", "Value": "contact"}]})
    approvals = tmp_path / "approvals.yaml"
    approvals.write_text(f"""# approvals file
approvals:
  - id: APR-BILLING-1
    customer: ACME S.A.
    data_categories: [contact]
    destinations: {{countries: [IE]}}
    scope: {{name_patterns: ["*-crm"]}}
    accounts: ["{ids['billing']}"]
    document: LC-DPA-2026-031
    approved_by: J. Doe, ACME DPO
    granted: 2026-01-01
    expires: 2099-12-31
""")
    done = run_cli(scan_args(org["accounts"], org["endpoint"], "--approvals", str(approvals)), tmp_path, org["endpoint"])
    assert done.returncode == 1, done.stderr
    residency = {(f["resource"]["account"], f["resource"]["id"]): f for f in json.loads(done.stdout)["findings"]
                 if f["rule_id"] == "LUX-RES-001" and f["resource"]["id"].endswith("-crm")}
    billing, web = residency[(ids["billing"], "billing-crm")], residency[(ids["web"], "web-crm")]
    assert billing["status"] == "waived" and billing["waiver"]["id"] == "APR-BILLING-1"
    assert web["status"] == "fail" and not web.get("waiver")
    approvals.write_text(approvals.read_text().replace(f'"{ids["billing"]}"', '"1234"'))
    refused = run_cli(scan_args(org["accounts"], org["endpoint"], "--approvals", str(approvals)), tmp_path, org["endpoint"])
    assert refused.returncode == 2 and refused.stderr.strip().splitlines() == [
        f'luxguard: error: {approvals}: field approvals.0.accounts.0: "1234" is not a 12-digit AWS account id, quoted']


@pytest.fixture
def broker(redis_server: str) -> Iterator[str]:
    import redis

    db = 11
    client = redis.Redis.from_url(f"{redis_server}/{db}")
    client.flushdb()
    yield f"{redis_server}/{db}"
    client.flushdb()


def start_worker(broker: str, name: str, endpoint: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_ENDPOINT_URL": endpoint,
           "LUXGUARD_VISIBILITY_TIMEOUT": "8"}   # a unit of a vanished worker comes back after 8 s
    return subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "worker", "--broker", broker,
                             "--concurrency", "1", "--hostname", f"{name}@luxguard-test"],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def warm_up(org: dict, tmp_path: Path) -> None:
    """moto creates each account's default VPC and security group in a region on first use: one
    scan first, so that the two scans compared below see the same estate."""
    run_cli(scan_args(org["accounts"], org["endpoint"]), tmp_path, org["endpoint"])


def test_celery_workers_give_the_same_findings_as_in_process(org, broker, tmp_path):
    warm_up(org, tmp_path)
    local = run_cli(scan_args(org["accounts"], org["endpoint"]), tmp_path, org["endpoint"])
    workers = [start_worker(broker, f"w{i}", org["endpoint"], tmp_path) for i in range(2)]
    try:
        distributed = run_cli(scan_args(org["accounts"], org["endpoint"], "--executor", "celery", "--broker", broker),
                              tmp_path, org["endpoint"])
    finally:
        for worker in workers:
            stop(worker)
    assert distributed.returncode == local.returncode == 1, distributed.stderr
    d, l = set(findings_by(json.loads(distributed.stdout))), set(findings_by(json.loads(local.stdout)))
    assert (sorted(d - l), sorted(l - d)) == ([], [])


def test_a_worker_killed_mid_scan_loses_and_duplicates_nothing(org, broker, tmp_path):
    warm_up(org, tmp_path)
    local = json.loads(run_cli(scan_args(org["accounts"], org["endpoint"]), tmp_path, org["endpoint"]).stdout)
    doomed = start_worker(broker, "doomed", org["endpoint"], tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_ENDPOINT_URL": org["endpoint"]}
    coordinator = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()",
                                    *scan_args(org["accounts"], org["endpoint"], "--executor", "celery", "--broker", broker)],
                                   cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        import redis

        queue = redis.Redis.from_url(broker)
        deadline = time.monotonic() + 120
        while not queue.hlen("unacked") and time.monotonic() < deadline:
            time.sleep(0.05)    # until the doomed worker holds a unit it has not acknowledged
        assert queue.hlen("unacked"), "no worker took a unit"
        os.killpg(doomed.pid, signal.SIGKILL)   # the worker and its pool process, mid-unit
        doomed.wait()
        survivor = start_worker(broker, "survivor", org["endpoint"], tmp_path)
        try:
            out, err = coordinator.communicate(timeout=300)
        finally:
            stop(survivor)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
    assert coordinator.returncode == 1, err
    assert findings_by(json.loads(out)) == findings_by(local)


def test_organization_history_in_postgres_carries_accounts(org, tmp_path):
    schema = f"lg_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        done = run_cli(["scan", "--accounts", str(org["accounts"]), "--endpoint-url", org["endpoint"],
                        "--format", "json", "--db", url], tmp_path, org["endpoint"])
        assert done.returncode == 1, done.stderr
        with engine.begin() as connection:
            accounts = {row[0] for row in connection.execute(sqlalchemy.text(
                f"SELECT DISTINCT account FROM {schema}.findings"))}
        assert accounts == {org["ids"]["billing"], org["ids"]["web"], org["ids"]["locked"]}
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))


def _proxied_accounts(tmp_path: Path, ids: dict, proxy_url: str) -> Path:
    path = tmp_path / "proxied.json"
    path.write_text(json.dumps({"accounts": [{"id": ids[name], "regions": [LU], "endpoint_url": proxy_url}
                                             for name in ("billing", "web")]}))
    return path


def test_a_throttling_burst_is_retried_until_the_units_complete(org, tmp_path):
    """API limits are per account and region: a burst of throttling on one operation is retried
    (botocore's standard retries, then the unit again with backoff), and the scan is complete."""
    from tests.fault_proxy import FaultProxy

    warm_up(org, tmp_path)
    with FaultProxy(org["endpoint"]) as proxy:
        accounts = _proxied_accounts(tmp_path, org["ids"], proxy.url)
        calm = run_cli(scan_args(accounts, proxy.url), tmp_path, proxy.url)
        proxy.inject("throttled", {("ec2", "DescribeSecurityGroups")}, limit=8)
        burst = run_cli(scan_args(accounts, proxy.url), tmp_path, proxy.url)
        hits = dict(proxy.hits)
    assert hits[("ec2", "DescribeSecurityGroups")] == 8      # the burst really was answered with throttling
    assert burst.returncode == calm.returncode == 1, burst.stderr
    assert findings_by(json.loads(burst.stdout)) == findings_by(json.loads(calm.stdout))
    assert json.loads(burst.stdout)["summary"]["errors"] == 0


def test_throttling_that_never_ends_is_an_error_not_a_pass(org, tmp_path):
    from tests.fault_proxy import FaultProxy

    warm_up(org, tmp_path)
    with FaultProxy(org["endpoint"]) as proxy:
        proxy.inject("throttled", {("ec2", "DescribeSecurityGroups")})
        done = run_cli(scan_args(_proxied_accounts(tmp_path, org["ids"], proxy.url), proxy.url), tmp_path, proxy.url,
                       timeout=600)
    assert done.returncode == 1, done.stderr
    errors = [f for f in json.loads(done.stdout)["findings"] if f["status"] == "error"]
    groups = {(f["resource"]["account"], f["resource"]["type"]) for f in errors}
    assert groups == {(org["ids"][name], "AWS::EC2::SecurityGroup") for name in ("billing", "web")}
    assert all("RequestLimitExceeded" in json.dumps(f) for f in errors), errors[0]   # EC2's throttling code


def test_celery_throttling_that_never_ends_is_an_error_as_in_process(org, broker, tmp_path, monkeypatch):
    """A unit throttled on every retry, on a real worker: once the (short) retry budget is spent,
    only the throttled listing is `error` and the unit's other listings are kept, exactly as the
    in-process executor reports it."""
    from tests.fault_proxy import FaultProxy

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")   # botocore: one retry per call, for the scans and the worker
    budget = ("--throttle-retries", "1", "--throttle-backoff", "0.5")
    with FaultProxy(org["endpoint"]) as proxy:
        proxy.inject("throttled", {("ec2", "DescribeSecurityGroups")})
        accounts = _proxied_accounts(tmp_path, org["ids"], proxy.url)
        local = run_cli(scan_args(accounts, proxy.url, *budget), tmp_path, proxy.url)
        worker = start_worker(broker, "throttled", proxy.url, tmp_path)
        try:
            distributed = run_cli(scan_args(accounts, proxy.url, *budget, "--executor", "celery", "--broker", broker),
                                  tmp_path, proxy.url)
        finally:
            stop(worker)
        hits = dict(proxy.hits)
    assert distributed.returncode == local.returncode == 1, distributed.stderr
    report = json.loads(distributed.stdout)
    assert findings_by(report) == findings_by(json.loads(local.stdout))
    errors = {(f["resource"]["account"], f["resource"]["type"]) for f in report["findings"] if f["status"] == "error"}
    assert errors == {(org["ids"][name], "AWS::EC2::SecurityGroup") for name in ("billing", "web")}
    kept = {(f["resource"]["account"], f["resource"]["type"]) for f in report["findings"]
            if f["status"] != "error" and f["resource"]["region"] == LU and f["resource"]["type"].startswith("AWS::EC2::")}
    assert {account for account, _ in kept} == {org["ids"]["billing"], org["ids"]["web"]}   # the unit's other EC2 listings
    # 2 accounts x 2 runs of the unit (one retry) x 2 attempts per call, on each executor: never given up early
    assert hits[("ec2", "DescribeSecurityGroups")] == 2 * (2 * 2 * 2)


def test_an_account_whose_role_is_refused_is_an_error_not_skipped(org, tmp_path):
    """AssumeRole answered AccessDenied (the role's trust policy does not admit the scanner): every
    listing of that account is `error`, and the other accounts are scanned as usual."""
    from tests.fault_proxy import FaultProxy

    ids = org["ids"]
    with FaultProxy(org["endpoint"]) as proxy:
        proxy.inject("denied", {("sts", "AssumeRole")})
        path = tmp_path / "refused.json"
        path.write_text(json.dumps({"accounts": [{"id": ids["billing"], "regions": [LU]},
                                                 {"id": ids["web"], "regions": [LU], "endpoint_url": proxy.url}]}))
        done = run_cli(scan_args(path, org["endpoint"]), tmp_path, org["endpoint"])
        hits = dict(proxy.hits)
    assert done.returncode == 1, done.stderr
    assert hits.get(("sts", "AssumeRole"))
    findings = json.loads(done.stdout)["findings"]
    web = [f for f in findings if f["resource"]["account"] == ids["web"]]
    assert web and {f["status"] for f in web} == {"error"}
    assert all("AccessDenied" in json.dumps(f) for f in web), web[0]
    assert {f["resource"]["type"] for f in web} >= {"AWS::S3::Bucket", "AWS::EC2::SecurityGroup"}
    assert ("LUX-RES-001", "pass", ids["billing"], "AWS::S3::Bucket", "billing-data", LU) in findings_by(
        json.loads(done.stdout))


@pytest.mark.parametrize("command", [["worker", "--broker", "redis://127.0.0.1:6379/13"],
                                     ["scan", "--accounts", "accounts.json", "--executor", "celery",
                                      "--broker", "redis://127.0.0.1:6379/13"]])
def test_celery_missing_is_one_line(tmp_path, command):
    """Celery is an optional extra: without it, the distributed commands say how to get it."""
    (tmp_path / "accounts.json").write_text(json.dumps({"accounts": [{"id": "111111111111", "regions": [LU]}]}))
    done = subprocess.run([sys.executable, "-c", "import sys; sys.modules['celery'] = None; import cli; cli.main()",
                           *command], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO),
                                                         "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "luxguard: error: Celery is not installed (needed by --executor celery and `luxguard worker`): "
        "pip install 'luxguard[celery]'"], done.stderr


def test_the_trusted_zone_is_the_organisation(org, tmp_path):
    """A grant from one member account to another stays inside the organisation (not external);
    the same grant to an account outside it is an external-access failure."""
    ids = org["ids"]
    for name, grantee in (("billing", ids["web"]), ("web", "999999999999")):
        s3 = member_session(org["endpoint"], ids[name]).client("s3", endpoint_url=org["endpoint"], region_name=EU)
        bucket = f"{name}-shared"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": EU})
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{grantee}:root"}, "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    done = run_cli(scan_args(org["accounts"], org["endpoint"]), tmp_path, org["endpoint"])
    assert done.returncode == 1, done.stderr
    rows = findings_by(json.loads(done.stdout))
    assert ("LUX-ACC-011", "pass", ids["billing"], "AWS::S3::Bucket", "billing-shared", EU) in rows
    assert ("LUX-ACC-011", "fail", ids["web"], "AWS::S3::Bucket", "web-shared", EU) in rows


def test_a_long_queue_behind_one_busy_worker_is_not_a_timeout(org, broker, tmp_path, monkeypatch):
    """Units are timed from when a worker starts them: with one worker, the last of 14 units waits
    in the queue longer than LUXGUARD_UNIT_TIMEOUT, and still none is given up."""
    from luxguard.sources.celery_app import make_app

    monkeypatch.setenv("LUXGUARD_UNIT_TIMEOUT", "10")
    regions = [LU, EU, "eu-central-1", "eu-west-2", "eu-west-3", "eu-north-1"]
    path = tmp_path / "many-regions.json"
    path.write_text(json.dumps({"accounts": [{"id": org["ids"][name], "regions": regions} for name in ("billing", "web")]}))
    warm_up({**org, "accounts": path}, tmp_path)
    local = run_cli(scan_args(path, org["endpoint"]), tmp_path, org["endpoint"])
    worker = start_worker(broker, "alone", org["endpoint"], tmp_path)
    try:
        app, deadline = make_app(broker), time.monotonic() + 120
        while not app.control.ping(timeout=1) and time.monotonic() < deadline:
            pass    # the worker is up before the scan starts: its start-up is not queue time
        started = time.monotonic()
        distributed = run_cli(scan_args(path, org["endpoint"], "--executor", "celery", "--broker", broker,
                                        "--per-account", "8"), tmp_path, org["endpoint"])
        elapsed = time.monotonic() - started
    finally:
        stop(worker)
    assert elapsed > 10, "the queue did not outlast the unit timeout: the test shows nothing"
    assert distributed.returncode == local.returncode == 1, distributed.stderr
    assert "Timeout" not in distributed.stdout, [f["message"] for f in json.loads(distributed.stdout)["findings"]
                                                 if "Timeout" in json.dumps(f)][:3]
    assert findings_by(json.loads(distributed.stdout)) == findings_by(json.loads(local.stdout))


@pytest.mark.parametrize("value", ["0", "x", "-1"])
def test_a_bad_aws_max_attempts_is_one_line(tmp_path, value):
    done = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "scan", "--endpoint-url", "http://127.0.0.1:9",
                           "--regions", LU, "--no-history"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO), "AWS_MAX_ATTEMPTS": value},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"luxguard: error: AWS_MAX_ATTEMPTS={value!r}: give the attempts per API call as a whole number, 1 or more"]
