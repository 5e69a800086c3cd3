"""Build hook: a wheel carries the rule catalogue and the reference stack.

The design card keeps `rules/` and the reference project (Pulumi.yaml, __main__.py) at the
repository root, outside the `luxguard` package; an installed luxguard (`pip install .`, `pipx`)
has no checkout to find them in. build_py copies them into luxguard/bundled/, where
luxguard.core.packaged looks when there is no checkout. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
REFERENCE_STACK_FILES = ("Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.production.yaml", "__main__.py")


class BuildWithBundledFiles(build_py):
    """build_py, plus rules/ and the reference project copied under luxguard/bundled/."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return   # an editable install reads the checkout itself
        bundled = Path(self.build_lib) / "luxguard" / "bundled"
        if bundled.exists():
            shutil.rmtree(bundled)
        shutil.copytree(ROOT / "rules", bundled / "rules",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        stack = bundled / "reference_stack"
        stack.mkdir(parents=True)
        for name in REFERENCE_STACK_FILES:
            shutil.copy2(ROOT / name, stack / name)


setup(cmdclass={"build_py": BuildWithBundledFiles})
