"""Sinks: where findings go (output formats, reports, the history store)."""
