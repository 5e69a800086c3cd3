"""The Celery application behind `--executor celery` and `luxguard worker`.

Redis (or any Celery broker) carries the units; results come back through the result backend
(the broker by default). Tasks are acknowledged late and rejected when their worker process dies,
so a unit in flight on a killed worker is delivered again; the coordinator keys results by unit,
so a unit run twice is counted once.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

from luxguard.core.errors import LuxguardError

if TYPE_CHECKING:
    from celery import Celery

QUEUE = "luxguard"


def make_app(broker: str, backend: Optional[str] = None) -> "Celery":
    try:
        from celery import Celery
    except ImportError:   # an optional extra: the one-account tool needs none of it
        raise LuxguardError("Celery is not installed (needed by --executor celery and `luxguard worker`): "
                            "pip install 'luxguard[celery]'") from None
    app = Celery("luxguard", broker=broker, backend=backend or broker)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=QUEUE, task_track_started=True,   # the coordinator times a unit from its start result_expires=3600,
        broker_connection_retry_on_startup=True,
        # A unit whose worker vanished without rejecting it (the whole host gone) is re-delivered
        # after this long (LUXGUARD_VISIBILITY_TIMEOUT seconds); keep it above the slowest unit.
        broker_transport_options={"visibility_timeout": float(os.environ.get("LUXGUARD_VISIBILITY_TIMEOUT", 900))},
        worker_hijack_root_logger=False,
    )
    app.task(name="luxguard.scan_unit", bind=True, max_retries=None)(_scan_unit)   # the unit's RetryPolicy decides
    return app


def _scan_unit(task: Any, unit: dict) -> dict:
    from luxguard.sources.org_scan import CELERY_RETRY, RetryPolicy, Throttled, run_unit

    policy = RetryPolicy.of(unit, CELERY_RETRY)
    try:
        return run_unit(unit)
    except Throttled as exc:  # the account's API limit: back off and let another unit run meanwhile
        if task.request.retries >= policy.retries:
            return exc.result   # retries spent: the throttled listings stay failures (`error`)
        raise task.retry(exc=exc, countdown=policy.delay(task.request.retries), max_retries=policy.retries)
