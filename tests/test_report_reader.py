"""What a security reader sees in the HTML report: the scope of the run, failing findings before
passes (collapsed), one trend series per kind of run, drift values as values, a page that fits a
phone, and `luxguard report --open`.

The history mixes scan and drift runs (as the demo's does) on hand-made resources with a long ARN;
drift findings carry null, booleans, lists and objects. Browser checks run Debian's chromium through
playwright (the same fixture as tests/test_reports.py).
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from luxguard.pipeline import Settings
from luxguard.core.model import Finding, Resource, Status, common_properties, sort_findings
from luxguard.core.rules import load_drift_rules, load_rules
from luxguard.sinks.history import HistoryStore
from luxguard.sinks.outputs.json_format import finding_to_dict
from luxguard.sinks.reports import load_findings_file, load_history, render_report
from luxguard.sinks.reports.values import drift_rows, plain
from tests.test_reports import browser_page, open_report  # noqa: F401 - browser_page is a fixture

ACCOUNT = "111122223333"
ROOT = Path(__file__).resolve().parent.parent
LONG_NAME = "luxcloud-production-customer-invoices-archive-" + "x" * 16           # 63 characters, S3's maximum
LONG_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/" + "LuxCloudCrossAccountAuditReadOnlyAccessRole" * 3


def bucket(name: str, region: str, encrypted: bool, arn: str = "") -> Resource:
    properties = common_properties(name, region, {"data-classification": "billing"})
    if encrypted:
        properties["encryption"] = {"algorithm": "aws:kms", "customer_managed_key": True, "bucket_key_enabled": True,
                                    "kms_key_id": f"arn:aws:kms:lu-central-1:{ACCOUNT}:key/lu",
                                    "kms_key_region": "lu-central-1"}
    return Resource(type="AWS::S3::Bucket", id=name, region=region, properties=properties,
                    arn=arn or f"arn:aws:s3:::{name}", account=ACCOUNT)


def scan_resources(run: int) -> list[Resource]:
    return [bucket(LONG_NAME, "lu-central-1", encrypted=run > 1, arn=LONG_ARN),
            bucket("marketing-exports", "eu-west-1", encrypted=False),
            bucket("ledger", "lu-central-1", encrypted=True)]


DRIFTS = [
    ("DRIFT-S3-ENCRYPTION", "encryption", {"property": "encryption.algorithm", "declared": "aws:kms", "actual": None}),
    ("DRIFT-S3-ENCRYPTION", "encryption", {"property": "encryption.bucket_key_enabled", "declared": True,
                                           "actual": False}),
    ("DRIFT-SG-RULES", "access", {"property": "ingress",
                                  "declared": [{"protocol": "tcp", "ports": [443, 443], "open_to_world": True}],
                                  "actual": [{"protocol": "tcp", "ports": [22, 22], "open_to_world": True},
                                             {"protocol": "tcp", "ports": [443, 443], "open_to_world": True}],
                                  "added": ["tcp 22 0.0.0.0/0"], "removed": []}),
    ("DRIFT-UNMANAGED", "residency", {"kind": "unmanaged"}),
]


def drift_findings(count: int) -> list[Finding]:
    """The first `count` drifts of DRIFTS as failing findings on the long-named bucket."""
    return [Finding(rule_id=rule, category=category, severity="high", status=Status.FAIL,
                    resource=bucket(LONG_NAME, "lu-central-1", encrypted=False, arn=LONG_ARN),
                    message=f"{drift.get('property') or drift.get('kind')} changed outside the stack", drift=drift)
            for rule, category, drift in DRIFTS[:count]]


def summary_of(findings: list[Finding], resources: int) -> dict:
    return {"resources": resources, **{key: sum(f.status == status for f in findings) for key, status in
                                       (("failed", Status.FAIL), ("passed", Status.PASS),
                                        ("waived", Status.WAIVED), ("errors", Status.ERROR))}}


@pytest.fixture(scope="module")
def mixed_history(tmp_path_factory) -> Path:
    """Runs 1 and 3 scan the account (many findings), runs 2 and 4 are drift (few): a single line
    through them would zigzag and read as a trend that is not there."""
    db = tmp_path_factory.mktemp("mixed") / "history.db"
    store = HistoryStore(str(db))
    engine = Settings().engine()
    start = datetime(2026, 1, 10, 8, 0, tzinfo=timezone.utc)
    for run in (1, 2, 3, 4):
        if run % 2:
            items = scan_resources(run)
            findings, source, target = sort_findings(engine.evaluate(items)), "aws", f"http://127.0.0.1:4566#{ACCOUNT}"
        else:
            items, findings = [None], drift_findings(4 if run == 2 else 3)
            source, target = "drift", f"luxguard/local@http://127.0.0.1:4566#{ACCOUNT}"
        store.record_run(source, target, start + timedelta(hours=run), findings, len(items),
                         summary_of(findings, len(items)), [finding_to_dict(f) for f in findings])
    return db


def rules() -> list:
    return load_rules() + load_drift_rules()


def latest(db: Path, source: str) -> int:
    return HistoryStore(str(db)).runs(source)[-1].id


@pytest.fixture(scope="module")
def scan_html(mixed_history) -> str:
    return render_report(load_history(str(mixed_history), latest(mixed_history, "aws")), rules(), "html")


@pytest.fixture(scope="module")
def drift_html(mixed_history) -> str:
    return render_report(load_history(str(mixed_history)), rules(), "html")


def page_data(html: str) -> dict:
    start = html.index('<script type="application/json" id="luxguard-data">') + len(
        '<script type="application/json" id="luxguard-data">')
    return json.loads(html[start:html.index("</script>", start)])


# --- values ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (None, "null"), (True, "true"), (False, "false"), (90, "90"), ("aws:kms", "aws:kms"), ([], "[]"),
    (["tcp 22 0.0.0.0/0"], '["tcp 22 0.0.0.0/0"]'), ({}, "{}"),
    ({"protocol": "tcp", "ports": [22, 22], "open": True, "note": None}, 'protocol: "tcp", ports: [22, 22], open: true, note: null'),
    ([{"a": {"b": [None]}}], '[{a: {b: [null]}}]'),
])
def test_plain_values_read_as_json_not_python(value, text):
    assert plain(value) == text


def test_drift_rows_put_what_changed_first_and_list_objects_one_per_line():
    rows = drift_rows(DRIFTS[2][2])
    assert [key for key, _ in rows] == ["property", "declared", "actual", "added", "removed"]
    assert dict(rows)["actual"] == ['protocol: "tcp", ports: [22, 22], open_to_world: true',
                                    'protocol: "tcp", ports: [443, 443], open_to_world: true']


def test_drift_report_shows_values_never_python_reprs(drift_html):
    sections = drift_html.split('<dl class="drift">')[1:]
    assert len(sections) == 3                                              # run 4 has three drifts
    text = " ".join(html_lib.unescape(s.split("</dl>", 1)[0]) for s in sections)
    for python in ("None", "True", "False", "{'", "['"):
        assert python not in text, python
    assert "<code>null</code>" in drift_html and "<code>true</code>" in drift_html and "<code>false</code>" in drift_html
    assert '["tcp 22 0.0.0.0/0"]' in text


# --- header -------------------------------------------------------------------------------------------------

def scope_text(html: str, field: str) -> str:
    start = html.index(f'id="scope-{field}">') + len(f'id="scope-{field}">')
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html[start:html.index("</dd>", start)]))


def test_header_names_kind_checked_account_regions_and_time(scan_html, drift_html, mixed_history):
    run = HistoryStore(str(mixed_history)).runs("aws")[-1]
    assert scope_text(scan_html, "kind").startswith("scan (live cloud)")
    assert scope_text(scan_html, "checked") == "the cloud at http://127.0.0.1:4566"
    assert scope_text(scan_html, "accounts") == ACCOUNT
    assert scope_text(scan_html, "regions").startswith("eu-west-1, lu-central-1")
    assert scope_text(scan_html, "started").startswith(run.started_at.strftime("%Y-%m-%d %H:%M:%SZ"))
    assert "finished" in scope_text(scan_html, "started")
    assert scope_text(drift_html, "kind").startswith("drift")
    assert scope_text(drift_html, "checked") == "stack luxguard/local against the cloud at http://127.0.0.1:4566"
    assert scope_text(drift_html, "regions").startswith("lu-central-1 ")
    assert page_data(scan_html)["scope"]["accounts"] == ACCOUNT


def test_header_says_not_recorded_rather_than_guessing(tmp_path):
    """A findings file of a check: no account, no target, no region; nothing is made up."""
    finding = {"rule_id": "LUX-ENC-001", "category": "encryption", "severity": "high", "status": "fail",
               "resource": {"type": "AWS::S3::Bucket", "id": "invoices", "region": None}, "message": "m"}
    path = tmp_path / "findings.json"
    path.write_text(json.dumps({"schema_version": 1, "source": "pulumi", "findings": [finding]}))
    html = render_report(load_findings_file(path), load_rules(), "html")
    for field in ("checked", "accounts", "regions", "started"):
        assert scope_text(html, field) == "not recorded", field
    assert scope_text(html, "kind").startswith("check (")
    markdown = render_report(load_findings_file(path), load_rules(), "markdown")
    assert "checked: not recorded · account: not recorded · regions: not recorded" in markdown


def test_markdown_names_the_scope(mixed_history):
    markdown = render_report(load_history(str(mixed_history), latest(mixed_history, "aws")), rules(), "markdown")
    line = next(line for line in markdown.splitlines() if line.startswith("**Scope:**"))
    assert f"account: {ACCOUNT}" in line and "regions: eu-west-1, lu-central-1" in line
    assert "scan \\(live cloud\\)" in line


# --- findings order and the trend (page source) ----------------------------------------------------------------

def test_failing_come_first_and_passes_are_one_collapsed_list(scan_html):
    fail, passes = scan_html.index('id="group-fail"'), scan_html.index('id="group-pass"')
    assert fail < passes
    details = scan_html[scan_html.rindex("<details", 0, passes):passes + 40]
    assert " open" not in details.split(">", 1)[0]                          # collapsed
    pass_section = scan_html[passes:scan_html.index("</details>", passes)]
    assert 'class="sev ' not in pass_section                                  # no severity badge on a pass
    assert pass_section.count('data-status="pass"') == page_data(scan_html)["summary"]["passed"] > 0


def test_trend_is_one_series_per_kind_of_run(scan_html, mixed_history):
    runs = HistoryStore(str(mixed_history)).runs()
    assert [(p["run_id"], p["kind"]) for p in page_data(scan_html)["trend"]] == \
        [(r.id, "scan" if r.source == "aws" else "drift") for r in runs]
    for kind in ("scan", "drift"):
        match = re.search(rf'<g class="trend-series kind-{kind}" data-kind="{kind}">\s*<polyline class="series-line" '
                          r'points="([^"]*)"', scan_html)
        assert match, kind
        assert len(match.group(1).split()) == sum(1 for r in runs if (r.source == "aws") == (kind == "scan")) == 2


# --- in a real browser, at desktop and phone width --------------------------------------------------------------

@pytest.mark.parametrize("width", [1400, 400])
@pytest.mark.parametrize("which", ["scan", "drift"])
def test_browser_layout_for_a_reader(browser_page, scan_html, drift_html, tmp_path, width, which):
    page, events = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    open_report(page, scan_html if which == "scan" else drift_html, tmp_path)

    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    arn = page.locator("code", has_text=LONG_ARN).first                    # the long ARN wraps inside the page
    arn.scroll_into_view_if_needed()
    box = arn.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width

    legend = page.eval_on_selector_all("#trend-legend .legend-item",
                                       "els => els.filter(e => e.offsetParent !== null).map(e => [e.dataset.kind, e.innerText])")
    assert [kind for kind, _ in legend] == ["scan", "drift"]
    assert "2 runs" in legend[0][1] and "2 runs" in legend[1][1]
    kinds = page.eval_on_selector_all(".trend-series", "els => els.map(e => [e.dataset.kind, "
                                      "[...e.querySelectorAll('.trend-point')].map(p => p.dataset.kind)])")
    assert kinds == [["scan", ["scan", "scan"]], ["drift", ["drift", "drift"]]]

    failing_top = page.locator("#group-fail").bounding_box()["y"]
    assert page.locator("#group-fail .finding").count() > 0
    if which == "scan":
        passes = page.locator("#group-pass")
        assert failing_top < passes.bounding_box()["y"]
        assert passes.evaluate("e => e.open") is False
        assert page.eval_on_selector_all("#group-pass .finding", "els => els.filter(e => e.checkVisibility()).length") == 0
        assert page.locator("#group-pass .sev").count() == 0
        page.select_option("#filter-status", "pass")                     # asking for passes opens the list
        assert passes.evaluate("e => e.open") is True
        assert page.eval_on_selector_all("#group-pass .finding", "els => els.filter(e => e.checkVisibility()).length") > 0
        assert page.locator("#group-fail .finding:not([hidden])").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    else:
        assert page.locator("#group-pass").count() == 0
        drift_text = page.inner_text("#group-fail")
        assert "null" in drift_text and "None" not in drift_text and "True" not in drift_text

    page.screenshot(path=str(ROOT / "test-artifacts" / f"report-{which}-{width}.png"), full_page=True)
    assert [url for url in events["requests"] if not url.startswith("file:")] == []
    assert events["errors"] == []


# --- luxguard report --open ------------------------------------------------------------------------------------

def run_report(args: list[str], browser: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """The real CLI in a fresh process (webbrowser reads BROWSER once per process); no display and an
    empty PATH, so BROWSER is the only browser it can find."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(BROWSER=str(browser), PATH=str(empty), PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "luxguard.cli", "report", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def browser_script(tmp_path: Path, exit_code: int) -> tuple[Path, Path]:
    record = tmp_path / "opened.txt"
    script = tmp_path / f"browser-{exit_code}.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\nexit {exit_code}\n')
    script.chmod(0o755)
    return script, record


def test_open_writes_then_opens_the_report(mixed_history, tmp_path):
    script, record = browser_script(tmp_path, 0)
    out = tmp_path / "report.html"
    done = run_report(["--db", str(mixed_history), "--output", str(out), "--open"], script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert record.read_text().splitlines() == [out.resolve().as_uri()]
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_open_without_output_uses_a_temporary_file(mixed_history, tmp_path):
    script, record = browser_script(tmp_path, 0)
    done = run_report(["--db", str(mixed_history), "--open"], script, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""                                               # the page went to the file, not stdout
    [uri] = record.read_text().splitlines()
    assert uri.startswith("file://") and uri.endswith(".html")
    opened = Path(uri[len("file://"):])
    assert opened.parent == tmp_path and opened.read_text().startswith("<!DOCTYPE html>")
    assert str(opened) in done.stderr


def test_open_fails_with_one_line_when_no_browser_can(mixed_history, tmp_path):
    script, record = browser_script(tmp_path, 1)
    out = tmp_path / "report.html"
    done = run_report(["--db", str(mixed_history), "-o", str(out), "--open"], script, tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "--open" in errors[0] and str(out) in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert record.read_text().splitlines() == [out.resolve().as_uri()]      # it was tried, and said no
    assert out.is_file()                                                   # the report itself is kept
