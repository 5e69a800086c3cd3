"""Rendering the report templates (luxguard/templates/report.html.j2 and report.md.j2).

HTML: autoescaped; the one inline script is static and allowed by its hash in a Content-Security-Policy
that forbids every fetch, so even a markup injection could neither run code nor reach the network.
Markdown: every untrusted value is escaped for GitHub-flavoured Markdown; fixes sit in code fences
longer than any backtick run they contain.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from luxguard import __version__
from luxguard.core.rules import Rule
from luxguard.sinks.reports.hints import fixes_by_rule
from luxguard.sinks.reports.load import ReportData
from luxguard.sinks.reports.view import build_view

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FORMATS = ("html", "markdown")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~@&]|:(?=//)|(?<=www)\.)", re.I)


def md(value: Any) -> str:
    """Inline Markdown text: one line, no markup, no HTML, no links or mentions that work."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """An inline code span that survives any backticks in the value."""
    text = " ".join(str(value).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_fence(lines: Iterable[str]) -> str:
    """A fenced shell block longer than any backtick run inside it."""
    body = "\n".join(" ".join(line.split("\n")) for line in lines)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}sh\n{body}\n{fence}"


@lru_cache(maxsize=1)
def environments() -> tuple[Environment, Environment]:
    loader = FileSystemLoader(str(TEMPLATES))
    html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)
    text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, keep_trailing_newline=True)
    text.filters.update(md=md, md_code=md_code, md_fence=md_fence)
    return html, text


@lru_cache(maxsize=1)
def page_script() -> tuple[str, str]:
    """The page's static filter script and its CSP hash."""
    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return script, f"sha256-{digest}"


def page_data(view: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable summary embedded in the page (a JSON block, escaped with |tojson)."""
    data: ReportData = view["data"]
    return {
        "schema_version": 1,
        "origin": data.origin,
        "source": data.source,
        "run_id": data.run_id,
        "summary": view["summary"],
        "failing_by_category": view["by_category"],
        "failing_by_severity": view["by_severity"],
        "top_offenders": [{"type": o["type"], "id": o["id"], "failing": o["count"]} for o in view["offenders"]],
        "scope": view["scope"],
        "trend": [{"run_id": p.run_id, "kind": p.kind, "failed": p.failed} for p in data.trend],
    }


def render_report(data: ReportData, rules: list[Rule], fmt: str) -> str:
    view = build_view(data, rules)
    html_env, text_env = environments()
    if fmt == "html":
        script, script_hash = page_script()
        return html_env.get_template("report.html.j2").render(
            **view, version=__version__, script=script, script_hash=script_hash, page_data=page_data(view))
    if fmt == "markdown":
        fixes = fixes_by_rule(view["failing"], rules)
        return text_env.get_template("report.md.j2").render(**view, version=__version__, fixes=fixes)
    raise ValueError(f"unknown report format {fmt!r}")
