"""The command line from a checkout (`python -c "import cli"`, the tests): it forwards to
luxguard.cli, which the installed `luxguard` command runs (once installed, a top-level `cli`
module would be shadowed by python-hcl2's own `cli` package)."""

from luxguard.cli import cli, main, register_commands, run  # noqa: F401 - the public names

if __name__ == "__main__":
    main()
