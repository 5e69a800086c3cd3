"""User-facing errors: one line naming the file, field or resource; the CLI exits 2 on them."""


class LuxguardError(Exception):
    """Could not run as asked (bad input, bad flag, unreachable endpoint). Exit code 2."""
