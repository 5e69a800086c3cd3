"""From report data to what the templates show: counts, chart geometry, sorted rows. No I/O, no clock.

Charts are computed here (coordinates in SVG user units) so that the HTML template only emits inline
`<svg>` elements: the page needs no script library and no network.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from luxguard.core.model import CATEGORIES, SEVERITIES, severity_rank
from luxguard.core.rules import Rule
from luxguard.sinks.reports.load import ReportData, TrendPoint, run_kind, timestamp
from luxguard.sinks.reports.scope import KIND_LABELS, run_scope
from luxguard.sinks.reports.values import drift_rows, plain

SEVERITY_ORDER = tuple(reversed(SEVERITIES))        # critical first
STATUS_ORDER = ("fail", "error", "waived", "pass")
TOP_OFFENDERS = 10


def finding_sort_key(f: dict[str, Any]) -> tuple:
    """interface.md order (severity, rule, resource), then status and message so ties are deterministic."""
    resource = f["resource"]
    drift = f.get("drift") or {}
    return (-severity_rank(f["severity"]), f["rule_id"], resource["type"], resource["id"],
            STATUS_ORDER.index(f["status"]) if f["status"] in STATUS_ORDER else 9,
            str(drift.get("property") or drift.get("kind") or ""), f.get("message") or "")


def _rank(order: Iterable[str], value: str) -> tuple[int, str]:
    order = tuple(order)
    return (order.index(value) if value in order else len(order), value)


@dataclass
class Bar:
    key: str
    count: int
    width: float          # bar length in SVG units
    y: float


def bar_chart(counts: dict[str, int], keys: list[str], width: float = 240.0, row: float = 22.0) -> dict[str, Any]:
    """Horizontal bars, one per key (zeros included so the reader sees what is clean)."""
    top = max([counts.get(k, 0) for k in keys] + [1])
    bars = [Bar(key=k, count=counts.get(k, 0), width=round(width * counts.get(k, 0) / top, 2), y=i * row)
            for i, k in enumerate(keys)]
    return {"bars": bars, "height": max(len(keys), 1) * row, "width": width, "row": row}


KIND_ORDER = ("scan", "drift", "check")
KIND_MARKERS = {"scan": "circle", "drift": "square", "check": "diamond"}


def trend_chart(points: list[TrendPoint], selected: Optional[int], width: float = 640.0,
                height: float = 170.0) -> dict[str, Any]:
    """Failed findings per stored run, one series per kind of run (scan, drift, check) on a shared
    run axis: a drift run's count is never joined to a scan's, so a change of kind is no 'trend'."""
    pad_left, pad_bottom, pad_top, pad_right = 36.0, 22.0, 12.0, 12.0
    plot_w, plot_h = width - pad_left - pad_right, height - pad_bottom - pad_top
    top = max([p.failed for p in points] + [1])
    step = plot_w / max(len(points), 1)
    label_every = max(1, -(-len(points) // 12))
    kinds = sorted({p.kind for p in points}, key=lambda k: _rank(KIND_ORDER, k))
    series: dict[str, dict[str, Any]] = {
        kind: {"kind": kind, "label": KIND_LABELS.get(kind, kind), "marker": KIND_MARKERS.get(kind, "circle"),
               "css": f"kind-{kind}" if kind in KIND_ORDER else "kind-other", "points": [], "line": []}
        for kind in kinds}
    labels = []
    for i, p in enumerate(points):
        cx = round(pad_left + i * step + step / 2, 2)
        cy = round(pad_top + plot_h - plot_h * p.failed / top, 2)
        entry = series[p.kind]
        entry["points"].append({"x": cx, "y": cy, "point": p, "selected": p.run_id == selected})
        entry["line"].append(f"{cx:.2f},{cy:.2f}")
        if i % label_every == 0 or i == len(points) - 1:
            labels.append({"x": cx, "run_id": p.run_id})
    for entry in series.values():
        entry["polyline"] = " ".join(entry["line"])
        entry["runs"] = len(entry["points"])
        entry["latest"] = entry["points"][-1]["point"].failed
        entry["targets"] = sorted({q["point"].target for q in entry["points"]})
    return {"width": width, "height": height, "series": list(series.values()), "labels": labels, "max": top,
            "base_y": pad_top + plot_h, "top_y": pad_top, "left": pad_left, "right": width - pad_right}


def _as_datetime(value: Any) -> Optional[datetime]:
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
    return None


def timeline_view(rows: list[dict[str, Any]], span_width: float = 220.0) -> dict[str, Any]:
    """The history's timeline grouped by resource, each rule's open period as a span on a common time axis."""
    moments = [m for r in rows for m in (_as_datetime(r["first_seen"]), _as_datetime(r["last_seen"]),
                                         _as_datetime(r.get("resolved_at"))) if m is not None]
    start, end = (min(moments), max(moments)) if moments else (None, None)
    total = (end - start).total_seconds() if start and end else 0.0

    def x(moment: Any) -> float:
        moment = _as_datetime(moment)
        if moment is None or not total:
            return 0.0
        return round(span_width * (moment - start).total_seconds() / total, 2)

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        first, stop = x(r["first_seen"]), x(r.get("resolved_at") or r["last_seen"])
        groups.setdefault((r["resource_type"], r["resource_id"]), []).append({
            "rule_id": r["rule_id"], "source": r["source"], "kind": run_kind(r["source"]), "target": r["target"],
            "first_seen": timestamp(r["first_seen"]), "last_seen": timestamp(r["last_seen"]),
            "resolved_at": timestamp(r.get("resolved_at")), "open": r.get("resolved_at") is None,
            "x": first, "w": max(round(stop - first, 2), 3.0),
        })
    resources = []
    for (rtype, rid), entries in sorted(groups.items()):
        entries.sort(key=lambda e: (e["rule_id"], e["first_seen"], e["source"], e["target"]))
        resources.append({"type": rtype, "id": rid, "entries": entries,
                          "open": sum(1 for e in entries if e["open"])})
    return {"resources": resources, "start": timestamp(start), "end": timestamp(end), "width": span_width,
            "rows": len(rows), "open": sum(1 for r in rows if r.get("resolved_at") is None)}


def enrich(finding: dict[str, Any], rules: dict[str, Rule]) -> dict[str, Any]:
    """A finding with its rule's clause (quote and section) and remediation from the catalogue."""
    rule = rules.get(finding["rule_id"])
    resource = finding["resource"]
    waiver = finding.get("waiver") or None
    return {
        "rule_id": finding["rule_id"],
        "title": (rule.title if rule else finding.get("title")) or "",
        "category": finding["category"],
        "severity": finding["severity"],
        "status": finding["status"],
        "message": finding.get("message") or "",
        "resource_type": resource["type"],
        "resource_id": resource["id"],
        "region": resource.get("region") or "unknown",
        "country": resource.get("country") or "",
        "arn": resource.get("arn") or "",
        "urn": resource.get("urn") or "",
        "tags": sorted((str(k), str(v)) for k, v in (resource.get("tags") or {}).items())
        if isinstance(resource.get("tags"), dict) else [],
        "clause_section": (rule.clause_section if rule else finding.get("clause")) or "",
        "clause_quote": rule.clause_quote if rule else "",
        "gdpr": list(rule.gdpr) if rule else [],
        "remediation": (rule.remediation if rule else finding.get("remediation")) or "",
        "has_action": bool(rule and rule.action),
        "waiver": waiver,
        "waiver_kind": str(waiver.get("kind") or "waiver") if waiver else "",
        "waiver_id": str(waiver.get("id") or "") if waiver else "",
        "waiver_details": sorted((str(k), plain(v)) for k, v in waiver.items() if k not in ("kind", "id"))
        if waiver else [],
        "drift": drift_rows(finding["drift"]) if isinstance(finding.get("drift"), dict) and finding["drift"] else [],
    }


def build_view(data: ReportData, rules: list[Rule]) -> dict[str, Any]:
    """Everything both templates read, deterministic for the same data."""
    by_id = {rule.id: rule for rule in rules}
    # People read what fails first: status (fail, error, waived, pass), then interface.md's order.
    findings = [enrich(f, by_id) for f in sorted(data.findings, key=lambda f: (_rank(STATUS_ORDER, f["status"]),
                                                                                finding_sort_key(f)))]
    failing = [f for f in findings if f["status"] == "fail"]
    # What the page shows, in reading order: what fails, what could not be decided, what an
    # exception waived, and (collapsed) what passed.
    groups = [{"status": status, "findings": [f for f in findings if f["status"] == status]} for status in STATUS_ORDER]
    statuses = Counter(f["status"] for f in findings)
    summary = {"resources": data.resources, "findings": len(findings), "failed": statuses["fail"],
               "passed": statuses["pass"], "waived": statuses["waived"], "errors": statuses["error"]}

    by_category = Counter(f["category"] for f in failing)
    by_severity = Counter(f["severity"] for f in failing)
    categories = list(CATEGORIES) + sorted({f["category"] for f in findings} - set(CATEGORIES))

    offenders: dict[tuple[str, str], dict[str, Any]] = {}
    for f in failing:
        entry = offenders.setdefault((f["resource_type"], f["resource_id"]), {
            "type": f["resource_type"], "id": f["resource_id"], "region": f["region"], "count": 0,
            "worst": f["severity"], "rules": set()})
        entry["count"] += 1
        entry["rules"].add(f["rule_id"])
        if severity_rank(f["severity"]) > severity_rank(entry["worst"]):
            entry["worst"] = f["severity"]
    top = sorted(offenders.values(), key=lambda e: (-e["count"], -severity_rank(e["worst"]), e["type"], e["id"]))
    top = [{**e, "rules": sorted(e["rules"])} for e in top[:TOP_OFFENDERS]]

    filters = {
        "category": sorted({f["category"] for f in findings}, key=lambda v: _rank(categories, v)),
        "severity": sorted({f["severity"] for f in findings}, key=lambda v: _rank(SEVERITY_ORDER, v)),
        "status": sorted({f["status"] for f in findings}, key=lambda v: _rank(STATUS_ORDER, v)),
        "region": sorted({f["region"] for f in findings}),
    }
    return {
        "data": data,
        "summary": summary,
        "findings": findings,
        "failing": failing,
        "groups": groups,
        "scope": run_scope(data),
        "categories": categories,
        "severities": list(SEVERITY_ORDER),
        "by_category": {k: by_category.get(k, 0) for k in categories},
        "by_severity": {k: by_severity.get(k, 0) for k in SEVERITY_ORDER},
        "category_chart": bar_chart(by_category, categories),
        "severity_chart": bar_chart(by_severity, list(SEVERITY_ORDER)),
        "trend": trend_chart(data.trend, data.run_id) if data.trend else None,
        "timeline": timeline_view(data.timeline) if data.origin == "history" else None,
        "offenders": top,
        "filters": filters,
    }
