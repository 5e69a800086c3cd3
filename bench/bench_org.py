"""What an organisation scan costs as accounts and workers grow: `luxguard scan --accounts FILE`
in-process and on 1, 2 and 4 Celery workers (real Redis), against several moto servers.

Usage:
    .venv/bin/python bench/bench_org.py [--accounts 10,50,100] [--workers 1,2,4] [--servers 4]
                                        [--regions eu-west-1,eu-central-1] [--redis redis://127.0.0.1:6379/12]
                                        [--resources-per-account N]

Each moto server (a separate process on loopback, so moto is not the bottleneck of a single GIL)
holds a share of the accounts; the accounts file gives each account its server (endpoint_url).
Each server holds an Organization whose member accounts are created through Organizations
(CreateAccount), and each member is seeded through its OrganizationAccountAccessRole, assumed as
in production: 3 buckets (one abroad, one public), 1 security group open to
the world, 1 KMS key and 1 EBS volume per region (`--resources-per-account N`: N spread over the
regions, the first of bucket, public bucket, open group, volume, key, bucket in each, cycling). Then, for each size, the same accounts file is
scanned by the in-process executor and by N workers (`luxguard worker --concurrency 1` each), and
the findings are compared. Figures: wall time, accounts/s, units/s ((account, region) units plus
one global S3 unit per account), resources/s, and whether every run gave the same findings.

No peer tool is run: Prowler and Cloud Custodian scan one account per process (c7n's `c7n-org`
fans out accounts the same way, with its own config and no shared engine); bench_scan.py compares
one account against Cloud Custodian.
"""

from __future__ import annotations

import argparse
import json
import re
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROLE = "OrganizationAccountAccessRole"
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, endpoint
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"moto_server on port {port} did not start")


def create_accounts(endpoint: str, first: int, count: int) -> list[str]:
    """`count` new member accounts of the server's Organization (created on first use)."""
    import boto3

    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        org.describe_organization()
    except org.exceptions.AWSOrganizationsNotInUseException:
        org.create_organization(FeatureSet="ALL")
    return [org.create_account(Email=f"member{first + n}@luxcloud.lu", AccountName=f"member{first + n}")
            ["CreateAccountStatus"]["AccountId"] for n in range(count)]


KINDS = ("data", "public", "ssh", "volume", "key", "export")


def seed_account(account: str, endpoint: str, regions: list[str], per_region: int = len(KINDS)) -> None:
    """The first `per_region` of KINDS in each region (the kinds cycle past six: more buckets, groups...)."""
    import boto3

    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    for number, region in enumerate(regions):
        s3 = session.client("s3", endpoint_url=endpoint, region_name=region)
        ec2 = session.client("ec2", endpoint_url=endpoint, region_name=region)
        kms = session.client("kms", endpoint_url=endpoint, region_name=region)
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]    # moto makes the default VPC on first use: not in the scan
        for index in range(per_region):
            kind = KINDS[index % len(KINDS)]
            suffix = f"{kind}{index // len(KINDS) or ''}"
            if kind in ("data", "public", "export"):
                bucket = f"b{account}-{number}-{suffix}"
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
                if kind != "public":
                    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_BLOCKED)
            elif kind == "ssh":
                group = ec2.create_security_group(GroupName=suffix, Description="ssh", VpcId=vpc)["GroupId"]
                ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            elif kind == "volume":
                ec2.create_volume(AvailabilityZone=f"{region}a", Size=1)
            else:
                kms.create_key()


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", *args]


def environment(endpoint: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def scan(accounts_file: Path, endpoint: str, regions: list[str], extra: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(cli("scan", "--accounts", str(accounts_file), "--format", "json", "--no-history",
                              "--regions", ",".join(regions), *extra),
                          env=environment(endpoint), capture_output=True, text=True, timeout=3600, cwd=tempfile.gettempdir())
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, json.loads(done.stdout)


def start_workers(count: int, broker: str, endpoint: str) -> list[subprocess.Popen]:
    return [subprocess.Popen(cli("worker", "--broker", broker, "--concurrency", "1", "--hostname", f"bench{i}@%h"),
                             env=environment(endpoint), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True) for i in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def fingerprint(report: dict) -> list[tuple]:
    return sorted((f["rule_id"], f["status"], f["resource"].get("account"), f["resource"]["id"], f["resource"]["region"])
                  for f in report["findings"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", default="10,50,100")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--regions", default="eu-west-1,eu-central-1")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--resources-per-account", type=int, default=None,
                        help="seeded resources per account, spread over the regions (default: 6 per region)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.accounts.split(",")]
    worker_counts = [int(n) for n in args.workers.split(",")]
    regions = args.regions.split(",")
    per_region = len(KINDS) if args.resources_per_account is None else max(1, -(-args.resources_per_account // len(regions)))

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    servers = [start_moto() for _ in range(args.servers)]
    rows: list[dict[str, Any]] = []
    try:
        seeded = 0
        entries: list[dict] = []
        for size in sizes:
            share = [len(range(seeded + i, size, len(servers))) for i in range(len(servers))]
            new = [(account, endpoint) for (_, endpoint), count in zip(servers, share)
                   for account in create_accounts(endpoint, seeded, count)]
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda item: seed_account(item[0], item[1], regions, per_region), new))
            entries += [{"id": account, "endpoint_url": endpoint, "regions": regions} for account, endpoint in new]
            seeded = size
            path = Path(tempfile.gettempdir()) / f"bench-org-{size}.json"
            path.write_text(json.dumps({"accounts": entries}))
            endpoint = servers[0][1]
            if size == sizes[0]:
                scan(path, endpoint, regions, [])    # warm the page cache and moto's lazily built backends once
            units = size * (len(regions) + 1)
            runs = [("in-process", [])] + [(f"celery x{n}", ["--executor", "celery", "--broker", args.redis])
                                            for n in worker_counts]
            reference = None
            for label, extra in runs:
                workers = start_workers(int(label.split("x")[1]), args.redis, endpoint) if extra else []
                try:
                    elapsed, report = scan(path, endpoint, regions, extra)
                finally:
                    stop(workers)
                prints = fingerprint(report)
                calls = next((int(m.group(1)) for note in report.get("notes", [])
                              for m in [re.search(r"(\d+) API calls", note)] if m), 0)
                reference = reference if reference is not None else prints
                rows.append({"accounts": size, "run": label, "seconds": elapsed, "accounts/s": size / elapsed,
                             "units/s": units / elapsed, "resources/s": report["summary"]["resources"] / elapsed,
                             "resources": report["summary"]["resources"], "errors": report["summary"]["errors"],
                             "calls/resource": calls / max(1, report["summary"]["resources"]),
                             "s/account": elapsed / size, "load": os.getloadavg()[0], "same": prints == reference})
                print(f"{size:>4} accounts  {label:<11} {elapsed:7.1f} s  {elapsed / size:5.2f} s/account  "
                      f"{size / elapsed:6.2f} accounts/s  "
                      f"{units / elapsed:6.2f} units/s  {report['summary']['resources'] / elapsed:7.1f} resources/s  "
                      f"{calls / max(1, report['summary']['resources']):5.1f} calls/resource  "
                      f"errors {report['summary']['errors']}  same findings: {prints == reference}  "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        stop([process for process, _ in servers])
        redis.Redis.from_url(args.redis).flushdb()
    print("\nscaling (seconds per account, relative to the smallest size; 1.00 = linear):")
    for label in dict.fromkeys(row["run"] for row in rows):
        mine = [row for row in rows if row["run"] == label]
        print(f"  {label:<11} " + "  ".join(f"{row['accounts']} accounts: {row['s/account'] / mine[0]['s/account']:.2f}"
                                            for row in mine))
    print("speed-up over one worker:")
    for size in sizes:
        one = next((r for r in rows if r["accounts"] == size and r["run"] == "celery x1"), None)
        for row in rows:
            if one and row["accounts"] == size and row["run"].startswith("celery"):
                print(f"  {size:>4} accounts, {row['run']}: {one['seconds'] / row['seconds']:.2f}x")
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
