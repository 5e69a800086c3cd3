"""A newcomer's mistakes on the command line: each is one line naming the flag or file, exit 2.

Every test drives the real CLI (luxguard.cli.run) against real files and the moto server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.fault_proxy import FaultProxy
from tests.helpers import run_cli, write_program
from tests.moto_cloud import EU, LU, client

TODAY_FAR = "2026-06-01"


def refused(capsys, *args: object) -> str:
    """Exit 2 and exactly one `luxguard: error:` line, which is returned."""
    code, _, err = run_cli(capsys, *[str(a) for a in args])
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("luxguard: error: "), (code, err)
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


# ------------------------------------------------------------------------ --pinned-country

@pytest.fixture(scope="module")
def lu_program(tmp_path_factory) -> Path:
    return write_program(tmp_path_factory.mktemp("lu") / "p", "t.bucket(name='crm-lu')")


def residency_status(capsys, program: Path, *args: str) -> str:
    code, out, err = run_cli(capsys, "check", str(program), "--format", "json", *args)
    assert code in (0, 1), err
    return next(f["status"] for f in json.loads(out)["findings"]
                if f["rule_id"] == "LUX-RES-001" and f["resource"]["id"] == "crm-lu")


def test_a_stack_pin_is_upper_cased_and_checked(capsys, tmp_path):
    lower = write_program(tmp_path / "lower", "t.bucket(name='crm-lu')", config={"luxguard:pinnedCountry": "lu"})
    assert residency_status(capsys, lower) == "pass"
    wrong = write_program(tmp_path / "wrong", "t.bucket(name='crm-lu')", config={"luxguard:pinnedCountry": "XX"})
    assert "stack config luxguard:pinnedCountry 'XX'" in refused(capsys, "check", wrong)


def test_pinned_country_is_upper_cased(capsys, lu_program):
    # `lu` once compared unequal to the catalogue's LU: every Luxembourg resource failed residency
    assert residency_status(capsys, lu_program) == "pass"
    assert residency_status(capsys, lu_program, "--pinned-country", "lu") == "pass"
    assert residency_status(capsys, lu_program, "--pinned-country", " Lu ") == "pass"
    assert residency_status(capsys, lu_program, "--pinned-country", "de") == "fail"


@pytest.mark.parametrize("value, needle", [
    ("XX", "--pinned-country 'XX': not an ISO 3166-1 alpha-2 country code"),
    ("Luxembourg", "did you mean LU, Luxembourg?"),
    ("LUX", "did you mean LU"),
    ("", "--pinned-country ''"),
    ("L1", "--pinned-country 'L1'"),
])
def test_unknown_pinned_country_is_refused(capsys, lu_program, value, needle):
    assert needle in refused(capsys, "check", lu_program, "--pinned-country", value)
    assert needle in refused(capsys, "scan", "--regions", LU, "--no-history", "--pinned-country", value)


# ------------------------------------------------------------------------------ --regions

def test_unknown_region_is_refused_with_a_suggestion(capsys, moto_endpoint):
    line = refused(capsys, "scan", "--endpoint-url", moto_endpoint, "--regions", "eu-west-9", "--no-history")
    assert "--regions: unknown region eu-west-9 (did you mean eu-west-1, eu-west-2 or eu-west-3?)" in line
    line = refused(capsys, "scan", "--endpoint-url", moto_endpoint, "--regions", f"{EU},lu-centrl-1", "--no-history")
    assert "unknown region lu-centrl-1" in line and "lu-central-1" in line
    line = refused(capsys, "enforce", "--endpoint-url", moto_endpoint, "--regions", "mars-north-1")
    assert "unknown region mars-north-1" in line and "--locations FILE" in line


def test_a_private_region_is_known_through_locations(capsys, fresh_cloud, tmp_path):
    extra = tmp_path / "private.yaml"
    extra.write_text("locations:\n  - {region: lu-west-7, country: LU}\n")
    for args in (["--regions", "lu-west-7", "--locations", extra], ["--locations", extra, "--regions", "lu-west-7"]):
        code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--no-history", "--format", "json",
                                 *[str(a) for a in args])
        assert code in (0, 1) and "Traceback" not in err, err
        assert {f["resource"]["region"] for f in json.loads(out)["findings"]} <= {"lu-west-7", None}


def test_all_regions_stay_in_the_account_partition(capsys, fresh_cloud):
    # moto answers DescribeRegions with every partition's regions, opt-in ones not enabled among them
    regions = client(fresh_cloud, "ec2", LU).describe_regions()["Regions"]
    answered = {r["RegionName"] for r in regions}
    enabled = {r["RegionName"] for r in regions if r["OptInStatus"] != "not-opted-in"}
    assert {"cn-north-1", "us-gov-west-1", LU} <= enabled and enabled != answered
    code, out, err = run_cli(capsys, "scan", "--endpoint-url", fresh_cloud, "--no-history", "--format", "json")
    assert code in (0, 1), err
    # EBS encryption by default is judged once per region scanned: the regions the scan covered
    scanned = {f["resource"]["region"] for f in json.loads(out)["findings"]
               if f["resource"]["type"] == "AWS::EC2::EBSEncryptionByDefault"}
    assert scanned == {r for r in enabled if not r.startswith(("cn-", "us-gov-"))}, sorted(scanned ^ enabled)


def test_refused_describe_regions_fails_closed(capsys, moto_endpoint):
    with FaultProxy(moto_endpoint) as proxy:
        proxy.inject("denied", {("ec2", "DescribeRegions")})
        line = refused(capsys, "scan", "--endpoint-url", proxy.url, "--regions", "all", "--no-history")
        assert "--regions all: cannot list the account's enabled regions (ec2 DescribeRegions: " in line
        assert "--regions r1,r2" in line
        code, _, err = run_cli(capsys, "scan", "--endpoint-url", proxy.url, "--regions", LU, "--no-history")
        assert code in (0, 1), err   # a named list does not need DescribeRegions


# ----------------------------------------------------------------------------------- --db

def test_db_folder_must_exist(capsys, tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "h.db"
    line = refused(capsys, "report", "--db", missing)
    assert f"--db {missing}: folder {missing.parent} does not exist" in line
    assert not (tmp_path / "no").exists()
    line = refused(capsys, "scan", "--regions", LU, "--db", missing)
    assert "--db" in line and not (tmp_path / "no").exists()
    assert "is a directory" in refused(capsys, "report", "--db", tmp_path)


def test_db_urls_are_left_to_the_store(capsys):
    line = refused(capsys, "report", "--db", "sqlite:////nonexistent-luxguard/x.db")
    assert "does not exist; create it first" not in line
    assert not Path("/nonexistent-luxguard").exists()


# ---------------------------------------------------------------------- approvals, waivers

APPROVAL = {"id": "APR-ACME-1", "customer": "ACME S.A.", "data_categories": ["contact"],
            "destinations": {"countries": ["IE"]}, "scope": {"name_patterns": ["acme-*"]},
            "document": "LC-DPA-2026-014", "approved_by": "J. Doe, ACME DPO"}


def test_unquoted_yaml_dates_are_dates(capsys, tmp_path):
    path = tmp_path / "approvals.yaml"
    path.write_text(yaml.safe_dump({"approvals": [{**APPROVAL, "granted": "G", "expires": "E"}]})
                    .replace("granted: G", "granted: 2026-01-01").replace("expires: E", "expires: 2026-12-31"))
    assert yaml.safe_load(path.read_text())["approvals"][0]["expires"].year == 2026   # a YAML date, not text
    code, out, err = run_cli(capsys, "approvals", "validate", str(path), "--as-of", TODAY_FAR)
    assert (code, out.strip()) == (0, "1 approvals valid"), err


def test_every_problem_of_a_file_in_plain_words(capsys, tmp_path):
    path = tmp_path / "approvals.yaml"
    path.write_text("approvals:\n"
                    "  - id: APR-1\n    customer: ACME\n    data_categories: [contact, secrets]\n"
                    "    destinations: {countries: [ie]}\n    scope: {name_patterns: ['a-*']}\n"
                    "    approved_by: DPO\n    granted: 2026-01-01\n    expires: 2026-12-31 10:00:00\n")
    line = refused(capsys, "approvals", "validate", path)
    assert f"{path}: 4 problems: " in line
    assert 'field approvals.0: missing required field "document"' in line
    assert 'field approvals.0.data_categories.1: "secrets" is not one of: "contact"' in line
    assert 'field approvals.0.destinations.countries.0: "ie" is not an ISO 3166-1 alpha-2 country code' in line
    assert 'field approvals.0.expires: "2026-12-31T10:00:00" is not a date (YYYY-MM-DD)' in line
    assert "datetime" not in line and "^" not in line and "'" not in line.split("problems:")[1]


def test_waiver_rule_ids_in_plain_words(capsys, tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - {id: W1, rule: MY-001, resource: 'x-*', reason: because, owner: me, expires: 2026-12-31}\n"
                    "  - {id: W1, rule: LUX-LOG-001, resource: 'x-*', reason: because, owner: me, expires: 2026-12-31}\n")
    line = refused(capsys, "waivers", "validate", path)
    assert 'field waivers.0.rule: "MY-001" is not a rule id (LUX-<AREA>-<NNN>' in line


def test_every_non_schema_problem_at_once(capsys, tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - {id: W1, rule: LUX-LOG-999, resource: 'x-*', reason: because, owner: me, expires: 2026-12-31}\n"
                    "  - {id: W1, rule: LUX-RES-001, resource: 'x-*', reason: because, owner: me, expires: '2026-02-30'}\n")
    line = refused(capsys, "waivers", "validate", path)
    assert "4 problems" in line and "unknown rule LUX-LOG-999" in line and "LUX-RES-001 is a residency rule" in line
    assert 'field waivers.1.expires: "2026-02-30" is not a date that exists' in line
    assert "field waivers.1.id: duplicate id W1" in line


def test_rule_files_in_plain_words(capsys, tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    rule = yaml.safe_load((Path(__file__).parent.parent / "rules" / "LUX-ENC-005.yaml").read_text())
    rule.update(id="MY-001", severity="urgent")
    (folder / "MY-001.yaml").write_text(yaml.safe_dump(rule))
    line = refused(capsys, "rules", "validate", folder)
    assert ('field id: "MY-001" is not a luxguard rule id (LUX-<AREA>-<NNN>, AREA one of RES ENC ACC RET LOG CLS'
            in line)
    assert 'field severity: "urgent" is not one of: "low", "medium", "high", "critical"' in line
    assert "MY-001.yaml: 2 problems" in line


def test_expired_approvals_and_waivers_are_reported(capsys, tmp_path, lu_program):
    approvals = tmp_path / "approvals.yaml"
    approvals.write_text(yaml.safe_dump({"approvals": [
        {**APPROVAL, "granted": "2025-01-01", "expires": "2026-12-31"},
        {**APPROVAL, "id": "APR-OLD", "granted": "2024-01-01", "expires": "2025-12-31"}]}))
    code, out, _ = run_cli(capsys, "approvals", "validate", str(approvals), "--as-of", TODAY_FAR)
    assert code == 1 and "1 expired as of 2026-06-01: APR-OLD (expired on 2025-12-31)" in out
    code, out, _ = run_cli(capsys, "approvals", "validate", str(approvals), "--as-of", "2025-06-01")
    assert (code, out.strip()) == (0, "2 approvals valid")
    # a check warns about the expired approval as it does about an expired waiver
    code, out, err = run_cli(capsys, "check", str(lu_program), "--approvals", str(approvals), "--as-of", TODAY_FAR)
    assert "warning: approval APR-OLD (ACME S.A.) expired on 2025-12-31 and no longer covers transfers" in out, err
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {id: W1, rule: LUX-LOG-001, resource: 'x-*', reason: because, owner: me, "
                       "expires: 2026-01-31}\n")
    code, out, _ = run_cli(capsys, "waivers", "validate", str(waivers), "--as-of", TODAY_FAR)
    assert code == 1 and "W1 (expired on 2026-01-31)" in out


# ---------------------------------------------------------------------------- rules validate

def test_rules_validate_on_a_folder_without_rules(capsys, tmp_path):
    line = refused(capsys, "rules", "validate", tmp_path)
    assert f"{tmp_path}: no rule files" in line
    (tmp_path / "notes.txt").write_text("not a rule")
    assert "no rule files" in refused(capsys, "rules", "validate", tmp_path)


def test_unassigned_country_codes_in_files_are_refused(capsys, tmp_path, lu_program):
    approvals = tmp_path / "approvals.yaml"
    approvals.write_text(yaml.safe_dump({"approvals": [
        {**APPROVAL, "destinations": {"countries": ["IE", "XX"]}, "granted": "2026-01-01", "expires": "2026-12-31"}]}))
    line = refused(capsys, "approvals", "validate", approvals)
    assert 'field approvals.0.destinations.countries.1: "XX" is not an assigned ISO 3166-1 alpha-2 country code' in line
    locations = tmp_path / "locations.yaml"
    locations.write_text("locations:\n  - {region: lu-west-7, country: LU}\n  - {region: xx-east-1, country: XX}\n")
    line = refused(capsys, "check", lu_program, "--locations", locations)
    assert f'{locations}: field locations.1.country: "XX" is not an assigned ISO 3166-1' in line
