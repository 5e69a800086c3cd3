"""Reports for people: the history store or a findings file as one self-contained HTML page or a Markdown
PR comment (`luxguard report`)."""

from __future__ import annotations

from luxguard.sinks.reports.load import ReportData, load_findings_file, load_history
from luxguard.sinks.reports.render import FORMATS, render_report

__all__ = ["FORMATS", "ReportData", "load_findings_file", "load_history", "render_report"]
