"""Shared pytest setup: the moto cloud fixtures live in tests/moto_cloud.py."""

pytest_plugins = ["tests.moto_cloud"]
