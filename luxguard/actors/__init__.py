"""Actors: what acts on findings (drift comparison, the enforcer)."""
