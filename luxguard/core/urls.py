"""URLs from the command line: checked before use, and never shown or stored with credentials.

`--endpoint-url http://user:secret@host` and `--db postgresql://user:secret@host/db` carry
secrets; botocore and SQLAlchemy repeat the URL in their error messages. Every sink (stderr,
reports, the history) passes text through `redact_credentials`, which hides any URL's userinfo.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from luxguard.core.errors import LuxguardError

# scheme://userinfo@ : the userinfo runs to the authority's last '@' (passwords do contain '@').
_USERINFO = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^\s/?#]*)@")
REDACTED = "***"


def _hide(match: re.Match[str]) -> str:
    user, has_password, _ = match.group(2).partition(":")
    # user:password -> user:*** (as SQLAlchemy shows it); a bare token (https://TOKEN@host) -> ***
    return f"{match.group(1)}{user + ':' if has_password else ''}{REDACTED}@"


def redact_credentials(text: str) -> str:
    """`text` with the password (or bare token) of every URL in it replaced by ***."""
    return _USERINFO.sub(_hide, text)


def check_endpoint_url(value: str) -> str:
    """An http(s) URL with a host and, if given, a numeric port; anything else is a LuxguardError."""
    shown = redact_credentials(value)
    where = f"--endpoint-url {shown!r}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise LuxguardError(f"{where}: not a valid URL ({redact_credentials(str(exc))})") from None
    if parts.scheme not in ("http", "https"):
        raise LuxguardError(f"{where}: give an http:// or https:// URL (e.g. http://127.0.0.1:4566)")
    if not parts.hostname:
        raise LuxguardError(f"{where}: the URL has no host")
    if port == 0:
        raise LuxguardError(f"{where}: port 0 is not a port")
    return value
