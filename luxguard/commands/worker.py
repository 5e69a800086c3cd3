"""`luxguard worker`: a Celery worker that runs organisation-scan units (`scan --executor celery`)."""

from __future__ import annotations

from typing import Optional

import click

from luxguard.commands.common import EXIT_OK


@click.command()
@click.option("--broker", required=True, envvar="LUXGUARD_BROKER",
              help="Celery broker URL, e.g. redis://127.0.0.1:6379/0 (or $LUXGUARD_BROKER).")
@click.option("--result-backend", envvar="LUXGUARD_RESULT_BACKEND",
              help="Where results go (default: the broker).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=4, show_default=True,
              help="Units this worker runs at once (processes).")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="WARNING",
              show_default=True)
@click.option("--hostname", help="Worker name (default: luxguard@<host>).")
def worker(broker: str, result_backend: Optional[str], concurrency: int, loglevel: str,
           hostname: Optional[str]) -> int:
    """Run scan units from the broker until stopped (Ctrl-C or SIGTERM: finish the current units)."""
    from luxguard.sources.celery_app import QUEUE, make_app

    app = make_app(broker, result_backend)
    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", f"--queues={QUEUE}",
            "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
    return EXIT_OK


COMMANDS = [worker]
