"""Live collectors: read an AWS(-compatible) account with boto3 into luxguard Resources.

`resolve_regions` turns `--regions` into a list, `collect` scans them, `open_session`
turns `--profile` into a session (an unknown profile is a LuxguardError).
"""

from scanners.access import open_session
from scanners.regions import resolve_regions
from scanners.runner import ScanResult, collect

__all__ = ["ScanResult", "collect", "open_session", "resolve_regions"]
