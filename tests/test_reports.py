"""`luxguard report`: a real history store rendered as HTML (checked in headless Chromium) and as Markdown.

The history holds three runs of real engine findings on hand-made resources, with an approval, waivers
and a bucket whose name and tags are hostile markup. Browser tests need Debian's `chromium` (`make install`
puts it there) and the `playwright` package (driver only: it never downloads a browser here).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from luxguard.pipeline import Settings
from luxguard.policy.exceptions import Approval, Exceptions, Waiver
from luxguard.sinks.history import HistoryStore
from luxguard.core.model import Resource, common_properties, sort_findings
from luxguard.sinks.outputs.json_format import finding_to_dict
from luxguard.sinks.reports import load_history, render_report
from luxguard.core.rules import load_rules
from tests.helpers import run_cli

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Each payload would set window.__pwned (and open a dialog) if it ever ran.
HOSTILE_NAME = "</script><script>window.__pwned=1;alert(1)</script>"
HOSTILE_TAG = '"><img/src=x/onerror=window.__pwned=2;alert(2)>'
HOSTILE_REASON = "'><svg/onload=window.__pwned=3;alert(3)>"
TODAY = date(2026, 1, 15)


def bucket(name: str, region: str, tags: dict, encrypted: bool = False) -> Resource:
    properties = common_properties(name, region, tags)
    if encrypted:
        properties["encryption"] = {"algorithm": "aws:kms", "customer_managed_key": True,
                                    "kms_key_id": "arn:aws:kms:lu-central-1:111122223333:key/lu", "bucket_key_enabled": True,
                                    "kms_key_region": "lu-central-1"}
    return Resource(type="AWS::S3::Bucket", id=name, region=region, properties=properties,
                    arn=f"arn:aws:s3:::{name}")


def key(key_id: str, rotation: bool) -> Resource:
    properties = common_properties(key_id, "lu-central-1", {})
    properties.update({"key_manager": "CUSTOMER", "state": "Enabled", "rotation_enabled": rotation,
                       "policy": {"public": False}})
    return Resource(type="AWS::KMS::Key", id=key_id, region="lu-central-1", properties=properties)


def resources(run: int) -> list[Resource]:
    """Run 1: everything wrong; run 2: invoices encrypted; run 3: key rotation on."""
    return [
        bucket("customer-invoices", "eu-west-1", {"data-classification": "billing"}, encrypted=run >= 2),
        bucket(HOSTILE_NAME, "lu-central-1", {"data-classification": HOSTILE_TAG, "owner": HOSTILE_TAG}),
        bucket("marketing-exports", "lu-central-1", {"data-classification": "marketing"}),
        key("key-0001", rotation=run >= 3),
    ]


def exceptions(run: int) -> Exceptions:
    """From run 2 on: an approval of the Irish invoices bucket and waivers (one with a hostile reason)."""
    if run < 2:
        return Exceptions(today=TODAY)
    approval = Approval(id="APR-2025-007", customer="Acme SARL", data_categories=frozenset({"billing"}),
                        countries=frozenset({"IE"}), regions=frozenset(), resource_ids=("customer-invoices",),
                        name_patterns=(), tags=(), document="contracts/acme-dpa-annex-3.pdf", approved_by="DPO",
                        granted=date(2025, 1, 1), expires=date(2027, 1, 1))
    waivers = [Waiver(id="WVR-12", rule="LUX-ACC-010", resource="marketing-exports", reason="migration ticket OPS-88",
                      owner="platform-team", expires=date(2026, 6, 30)),
               Waiver(id="WVR-13", rule="LUX-LOG-001", resource=HOSTILE_NAME, reason=HOSTILE_REASON,
                      owner="platform-team", expires=date(2026, 6, 30))]
    return Exceptions(approvals=[approval], waivers=waivers, today=TODAY)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("history") / "history.db"
    store = HistoryStore(str(db))
    engine = Settings().engine()
    start = datetime(2026, 1, 10, 8, 0, tzinfo=timezone.utc)
    for run in (1, 2, 3):
        items = resources(run)
        findings = engine.evaluate(items)
        exceptions(run).apply(findings, engine.rules, engine.locations, engine.pinned_country)
        findings = sort_findings(findings)
        summary = {"resources": len(items), "failed": sum(f.status.value == "fail" for f in findings),
                   "passed": sum(f.status.value == "pass" for f in findings),
                   "waived": sum(f.status.value == "waived" for f in findings),
                   "errors": sum(f.status.value == "error" for f in findings)}
        store.record_run("aws", "lu-cloud#111122223333", start + timedelta(days=run), findings, len(items), summary,
                         [finding_to_dict(f) for f in findings])
    return db


def latest_findings(db: Path) -> list[dict]:
    store = HistoryStore(str(db))
    return store.findings(store.runs()[-1].id)


def test_history_has_what_the_report_must_show(history):
    """Guard the fixture: the report tests below are only meaningful on a varied history."""
    store = HistoryStore(str(history))
    runs = store.runs()
    assert len(runs) == 3
    assert runs[0].summary["failed"] > runs[2].summary["failed"] > 0
    latest = latest_findings(history)
    statuses = Counter(f["status"] for f in latest)
    assert statuses["fail"] and statuses["pass"] and statuses["waived"] >= 3
    assert {f["waiver"]["kind"] for f in latest if f.get("waiver")} == {"approval", "waiver"}
    failing_categories = {f["category"] for f in latest if f["status"] == "fail"}
    assert {"encryption", "access", "classification"} <= failing_categories
    assert any(t["resolved_at"] is not None for t in store.timeline())
    assert any(t["resolved_at"] is None for t in store.timeline())
    assert any(HOSTILE_TAG.lower() in f["message"] for f in latest)       # the tag reaches a message


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def fetching_attributes(html: str) -> list:
    """Every element attribute or tag that could make the browser fetch something or run code."""
    parser = _Elements()
    parser.feed(html)
    found = [(tag, name) for tag, attrs in parser.tags for name in attrs
             if name in ("src", "href", "srcset", "action", "formaction", "poster", "background", "xlink:href")
             or name.startswith("on")]
    found += [(tag, "") for tag, _ in parser.tags if tag in ("img", "iframe", "link", "object", "embed", "image",
                                                                "use", "video", "audio", "base", "form")]
    return found


# --- HTML source ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def html(history) -> str:
    return render_report(load_history(str(history)), load_rules(), "html")


def test_html_is_self_contained_and_deterministic(history, html):
    assert html == render_report(load_history(str(history)), load_rules(), "html")
    assert fetching_attributes(html) == []                          # nothing to fetch
    assert "https:" not in html and "http:" not in html and "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html                               # and the CSP forbids fetching anyway
    assert html.count("<script") == 2                                 # the JSON block and the static filter script


def test_html_shows_clause_remediation_and_waivers(history, html):
    rules = {r.id: r for r in load_rules()}
    import html as html_lib
    text = html_lib.unescape(html)
    for finding in latest_findings(history):
        rule = rules[finding["rule_id"]]
        assert rule.clause_section in text
        if finding["status"] != "pass":                                # passes are one compact line each
            assert rule.clause_quote in text and rule.remediation in text
    for needle in ("APR-2025-007", "Acme SARL", "contracts/acme-dpa-annex-3.pdf", "WVR-12", "migration ticket OPS-88",
                   "WVR-13"):
        assert needle in text


def test_hostile_names_and_tags_are_escaped_in_source(html):
    assert "<script>window.__pwned" not in html
    assert "<img/src" not in html and "<svg/onload" not in html
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in html     # text, escaped
    page_data = re.search(r'<script type="application/json" id="luxguard-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in page_data                                     # |tojson escapes < > & '
    assert HOSTILE_NAME in [o["id"] for o in json.loads(page_data)["top_offenders"]]


# --- Markdown ------------------------------------------------------------------------------------------------

def test_markdown_table_rows_are_the_failing_findings(history):
    markdown = render_report(load_history(str(history)), load_rules(), "markdown")
    failing = [f for f in latest_findings(history) if f["status"] == "fail"]
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith(("| Severity", "| ---"))]
    assert len(rows) == len(failing)
    cells = [re.split(r"(?<!\\)\|", row)[1:-1] for row in rows]
    assert all(len(c) == 4 for c in cells)                           # a hostile name cannot add or split cells
    assert Counter((c[0].strip(), c[1].strip().replace("\\", "")) for c in cells) == \
        Counter((f["severity"], f["rule_id"]) for f in failing)
    assert "http" not in markdown.lower()
    prose = re.sub(r"^(`{3,})sh\n.*?^\1$", "", markdown, flags=re.S | re.M)      # fences are literal text
    prose = re.sub(r"(`+).+?\1", "", prose)                                 # and so are code spans
    assert not re.search(r"(?<!\\)[<>]", prose)                           # no raw HTML anywhere else
    assert HOSTILE_NAME in markdown                                          # quoted in the copy-paste fixes
    assert f"**{len(failing)} failing**" in markdown
    fixes = markdown.split("#### How to fix", 1)[1].split("#### Waived", 1)[0]
    blocks = {m.group(1): m.group(2) for m in re.finditer(r"^\*\*(LUX\S+)\*\* (.*?)(?=^\*\*LUX|\Z)", fixes,
                                                          re.S | re.M)}
    assert set(blocks) == {f["rule_id"] for f in failing}
    for finding in failing:                                          # a fix for every failing finding
        block = blocks[finding["rule_id"]]
        assert f"`{finding['resource']['id']}`" in block
    assert "aws kms enable-key-rotation" not in markdown             # fixed in run 3
    assert "luxguard enforce --rule LUX-ACC-001" in markdown         # a concrete, copy-pasteable hint
    assert markdown == render_report(load_history(str(history)), load_rules(), "markdown")


def test_markdown_fix_commands_quote_hostile_names(history):
    markdown = render_report(load_history(str(history)), load_rules(), "markdown")
    fence_lines = [line for line in markdown.splitlines() if line.startswith("aws s3api put-public-access-block")]
    assert fence_lines
    assert any("--bucket '</script><script>window.__pwned=1;alert(1)</script>'" in line for line in fence_lines)


# --- CLI -----------------------------------------------------------------------------------------------------

def test_cli_writes_reports_atomically(history, tmp_path, capsys):
    out = tmp_path / "out" / "report.html"
    code, _, err = run_cli(capsys, "report", "--db", history, "--output", out)
    assert code == 0, err
    assert out.read_text().startswith("<!DOCTYPE html>") and "wrote" in err
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    code, md_out, err = run_cli(capsys, "report", "--db", history, "--format", "markdown", "--run", "1")
    assert code == 0, err
    assert "run 1" in md_out and "aws kms enable-key-rotation --key-id key-0001" in md_out


def test_cli_reads_a_findings_file(history, tmp_path, capsys):
    document = {"schema_version": 1, "source": "aws", "started_at": "2026-01-13T08:00:00Z",
                "summary": {"resources": 4}, "findings": latest_findings(history)}
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(document))
    code, out, err = run_cli(capsys, "report", "--findings", path)
    assert code == 0, err
    assert 'id="trend"' not in out and "Findings file" in out
    assert f'<span class="value" id="summary-findings">{len(document["findings"])}</span>' in out


@pytest.mark.parametrize("setup, args, message", [
    (None, ["--db", "{tmp}/missing.db"], "no history store here"),
    ("empty", ["--db", "{tmp}/empty.db"], "no runs recorded yet"),
    ("notjson", ["--findings", "{tmp}/bad.json"], "not valid JSON (line 1"),
    ("wrongshape", ["--findings", "{tmp}/bad.json"], "field findings.0.severity"),
    ("list", ["--findings", "{tmp}/bad.json"], "not a findings JSON file"),
    (None, ["--findings", "{tmp}/none.json"], "findings file not found"),
    (None, ["--db", "postgresql://report:s3cret@127.0.0.1:1/history"], "postgresql://report:***@127.0.0.1:1"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, capsys, setup, args, message):
    if setup == "empty":
        HistoryStore(str(tmp_path / "empty.db"))
    elif setup == "notjson":
        (tmp_path / "bad.json").write_text("{nope")
    elif setup == "wrongshape":
        (tmp_path / "bad.json").write_text(json.dumps({"findings": [
            {"rule_id": "X", "category": "access", "severity": "urgent", "status": "fail",
             "resource": {"type": "AWS::S3::Bucket", "id": "b"}, "message": "m"}]}))
    elif setup == "list":
        (tmp_path / "bad.json").write_text("[]")
    code, out, err = run_cli(capsys, "report", *[a.format(tmp=tmp_path) for a in args])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert "s3cret" not in err
    assert not (tmp_path / "missing.db").exists()


def test_cli_unknown_run_and_mixed_sources(history, capsys):
    code, _, err = run_cli(capsys, "report", "--db", history, "--run", "99")
    assert code == 2 and "no run 99 (stored runs: 1..3)" in err
    code, _, err = run_cli(capsys, "report", "--db", history, "--findings", "x.json")
    assert code == 2 and "give one or the other" in err


# --- in a real browser ---------------------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    for candidate in (os.environ.get("LUXGUARD_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    message = ("Debian's chromium is not installed (run `make install` as root, or apt-get install chromium); "
               "browser checks of the HTML report skipped")
    print(message)
    pytest.skip(message)


@pytest.fixture
def browser_page(tmp_path):
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -e '.[test]' (it drives the system chromium)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            offline=True, viewport={"width": 1280, "height": 900})
        page = context.pages[0] if context.pages else context.new_page()
        events: dict[str, list] = {"dialogs": [], "requests": [], "errors": [], "console": []}

        def on_dialog(dialog):
            events["dialogs"].append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("request", lambda request: events["requests"].append(request.url))
        page.on("pageerror", lambda error: events["errors"].append(str(error)))
        page.on("console", lambda msg: events["console"].append(f"{msg.type}: {msg.text}"))
        try:
            yield page, events
        finally:
            context.close()


def open_report(page, html: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


def visible_findings(page) -> int:
    """Findings the filters let through (passes among them may sit in the collapsed section)."""
    return page.locator("#findings .finding:not([hidden])").count()



def test_browser_counts_and_filters_match_the_history(browser_page, history, html, tmp_path):
    page, events = browser_page
    open_report(page, html, tmp_path)
    latest = latest_findings(history)
    failing = [f for f in latest if f["status"] == "fail"]

    assert page.text_content("#summary-findings") == str(len(latest))
    assert page.text_content("#summary-failed") == str(len(failing))
    assert page.text_content("#summary-waived") == str(sum(f["status"] == "waived" for f in latest))
    for dimension in ("category", "severity"):
        expected = Counter(f[dimension] for f in failing)
        shown = page.eval_on_selector_all(
            f'g.count-row[data-dimension="{dimension}"]',
            "els => Object.fromEntries(els.map(e => [e.dataset.key, e.querySelector('text.count').textContent]))")
        assert {k: int(v) for k, v in shown.items() if int(v)} == dict(expected)
    trend = page.eval_on_selector_all(".trend-point", "els => els.map(e => [Number(e.dataset.run), Number(e.dataset.failed)])")
    assert sorted(trend) == [[r.id, r.summary["failed"]] for r in HistoryStore(str(history)).runs()]
    assert page.locator("#timeline-table tr.timeline-row").count() == len(HistoryStore(str(history)).timeline())

    assert page.text_content("#shown-count") == str(len(latest)) == str(visible_findings(page))
    page.select_option("#filter-category", "access")
    access = [f for f in latest if f["category"] == "access"]
    assert 0 < len(access) < len(latest)
    assert visible_findings(page) == len(access)
    assert page.text_content("#shown-count") == str(len(access))
    page.select_option("#filter-status", "fail")
    access_failing = [f for f in access if f["status"] == "fail"]
    assert 0 < len(access_failing) < len(access)
    assert visible_findings(page) == len(access_failing) == int(page.text_content("#shown-count"))
    page.select_option("#filter-region", "eu-west-1")
    expected = sum(1 for f in access_failing if f["resource"]["region"] == "eu-west-1")
    assert visible_findings(page) == expected == int(page.text_content("#shown-count"))
    page.click("#reset-filters")
    assert visible_findings(page) == len(latest)

    page.select_option("#filter-status", "waived")
    assert visible_findings(page) == sum(f["status"] == "waived" for f in latest)
    page.click("#reset-filters")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    assert [url for url in events["requests"] if not url.startswith("file:")] == []
    assert events["errors"] == [] and not [c for c in events["console"] if c.startswith("error")]


def test_browser_hostile_strings_stay_inert(browser_page, html, tmp_path):
    page, events = browser_page
    open_report(page, html, tmp_path)
    page.select_option("#filter-status", "waived")                     # the hostile waiver reason is shown
    page.click("#reset-filters")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert events["dialogs"] == []
    body = page.inner_text("body")
    assert HOSTILE_NAME in body                                         # shown as text, not dropped
    assert HOSTILE_TAG.lower() in body and HOSTILE_REASON in body
    assert page.locator("#findings img, #findings svg, #findings script").count() == 0
    assert [url for url in events["requests"] if not url.startswith("file:")] == []


def test_a_custom_rule_brings_its_own_copy_paste_fix(history, tmp_path, capsys):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    custom = (Path(__file__).parent.parent / "rules" / "LUX-ACC-001.yaml").read_text()
    custom = custom.replace("id: LUX-ACC-001", "id: LUX-ACC-901").replace("fails: [LUX-ACC-001]", "fails: [LUX-ACC-901]")
    command = "aws s3api put-public-access-block --bucket {id}{region} --public-access-block-configuration"
    assert command in custom
    custom = custom.replace(command, "aws s3control put-public-access-block --bucket {id}{region} --config")
    (rules_dir / "LUX-ACC-901.yaml").write_text(custom)
    finding = next(f for f in latest_findings(history) if f["status"] == "fail" and f["rule_id"] == "LUX-ACC-001")
    finding = {**finding, "rule_id": "LUX-ACC-901"}
    path = tmp_path / "findings.json"
    path.write_text(json.dumps({"schema_version": 1, "source": "aws", "started_at": "2026-01-13T08:00:00Z",
                                "summary": {"resources": 1}, "findings": [finding]}))
    code, out, err = run_cli(capsys, "report", "--findings", path, "--format", "markdown", "--rules", rules_dir)
    assert code == 0, err
    bucket, region = finding["resource"]["id"], finding["resource"]["region"]
    assert f"aws s3control put-public-access-block --bucket {shlex.quote(bucket)} --region {region} --config" in out
    assert "aws s3api put-public-access-block" not in out
