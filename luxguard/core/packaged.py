"""Where luxguard's own files are, however it was installed.

From a checkout (editable install, the tests, `make`) the catalogue is the repository's `rules/`
folder and the reference stack is the repository root (Pulumi.yaml + __main__.py + stacks/).
A built wheel has no checkout: setup.py copies both into `luxguard/bundled/` at build time, and
these functions find them there. One place decides, so no command guesses a path of its own.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CHECKOUT_DIR = PACKAGE_DIR.parent
BUNDLED_DIR = PACKAGE_DIR / "bundled"

# What setup.py copies into luxguard/bundled/reference_stack (the files of the reference project).
REFERENCE_STACK_FILES = ("Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.production.yaml", "__main__.py")


def _checkout_rules() -> Path:
    return CHECKOUT_DIR / "rules"


def rules_dir() -> Path:
    """The built-in catalogue: the checkout's rules/ when running from one, else the wheel's copy."""
    checkout = _checkout_rules()
    if (checkout / "schema.json").is_file():
        return checkout
    return BUNDLED_DIR / "rules"


def reference_stack_dir() -> Path:
    """The reference Pulumi project: the checkout root, else the wheel's copy (stacks/ is installed)."""
    if all((CHECKOUT_DIR / name).is_file() for name in REFERENCE_STACK_FILES) and (CHECKOUT_DIR / "stacks").is_dir():
        return CHECKOUT_DIR
    return BUNDLED_DIR / "reference_stack"
