"""Pulumi entry point: the reference stack (see stacks/reference.py)."""

from stacks.reference import main

main()
