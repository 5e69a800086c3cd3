"""Where an organisation scan's work units run: threads in this process (the default, nothing to
install) or Celery workers (`--executor celery`). Both take the same JSON-able units and return
the same JSON-able results, so a scan gives identical findings whichever ran it.

Per-account concurrency is enforced here, by the one process that hands units out: API limits
are per account and region, so no more than `per_account` units of one account are in flight.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable, Optional, Protocol

from luxguard.core.errors import LuxguardError

Unit = dict[str, Any]
Result = dict[str, Any]
Progress = Callable[[str], None]


def unit_key(unit: Unit) -> str:
    """Units are identified by account, region and listing: a re-run unit replaces, never adds."""
    return f"{unit['account']['id']}/{unit.get('region') or '-'}/{unit['listing']}"


def _windows(units: Iterable[Unit], per_account: int) -> tuple[dict[str, deque], int]:
    queues: dict[str, deque] = defaultdict(deque)
    total = 0
    for unit in sorted(units, key=unit_key):
        queues[unit["account"]["id"]].append(unit)
        total += 1
    return queues, total


class Executor(Protocol):
    def run(self, units: list[Unit], progress: Progress) -> dict[str, Result]: ...


class LocalExecutor:
    """A bounded thread pool in this process."""

    def __init__(self, run_unit: Callable[[Unit], Result], workers: int = 8, per_account: int = 4):
        self.run_unit, self.workers, self.per_account = run_unit, workers, per_account

    def run(self, units: list[Unit], progress: Progress) -> dict[str, Result]:
        queues, total = _windows(units, self.per_account)
        results: dict[str, Result] = {}
        in_flight: dict[Future, Unit] = {}
        busy: dict[str, int] = defaultdict(int)
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="luxguard-org") as pool:
            while queues or in_flight:
                for account in sorted(queues):
                    while queues[account] and busy[account] < self.per_account:
                        unit = queues[account].popleft()
                        in_flight[pool.submit(self.run_unit, unit)] = unit
                        busy[account] += 1
                    if not queues[account]:
                        del queues[account]
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    unit = in_flight.pop(future)
                    busy[unit["account"]["id"]] -= 1
                    results[unit_key(unit)] = future.result()
                    progress(f"{len(results)}/{total} {unit_key(unit)}")
        return results


class CeleryExecutor:
    """Units as Celery tasks (late acknowledgement: a unit whose worker dies is run again).

    A unit is given up (an `error` result) when a worker has held it for `unit_timeout` seconds,
    or when it has waited that long in the queue while no unit started or finished: a long queue
    behind busy workers is not a timeout, a queue that nobody serves is."""

    def __init__(self, broker: str, backend: Optional[str] = None, per_account: int = 4,
                 unit_timeout: Optional[float] = None):
        from luxguard.sources.celery_app import make_app

        self.app = make_app(broker, backend)
        self.per_account = per_account
        self.unit_timeout = unit_timeout if unit_timeout is not None else float(os.environ.get("LUXGUARD_UNIT_TIMEOUT", 600))

    def _check_broker(self) -> None:
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=5)
        except Exception as error:  # noqa: BLE001 - kombu raises many kinds; one line either way
            raise LuxguardError(f"--broker: cannot reach the Celery broker ({type(error).__name__}: {error})") from None

    def run(self, units: list[Unit], progress: Progress) -> dict[str, Result]:
        from celery.states import READY_STATES

        self._check_broker()
        queues, total = _windows(units, self.per_account)
        results: dict[str, Result] = {}
        in_flight: dict[str, tuple[Any, Unit, float]] = {}   # handle, unit, sent (then: started) at
        started: set[str] = set()
        progressed = time.monotonic()    # when a unit last started or finished
        busy: dict[str, int] = defaultdict(int)
        while queues or in_flight:
            for account in sorted(queues):
                while queues[account] and busy[account] < self.per_account:
                    unit = queues[account].popleft()
                    handle = self.app.send_task("luxguard.scan_unit", args=[unit], queue="luxguard")
                    in_flight[handle.id] = (handle, unit, time.monotonic())
                    busy[account] += 1
                if not queues[account]:
                    del queues[account]
            finished = []
            for task_id, (handle, unit, since) in list(in_flight.items()):
                state = handle.state
                if state in READY_STATES:
                    finished.append(task_id)
                elif state == "STARTED" and task_id not in started:
                    started.add(task_id)
                    in_flight[task_id] = (handle, unit, time.monotonic())
                    progressed = time.monotonic()
            if finished:
                progressed = time.monotonic()
            for task_id in finished:
                handle, unit, _ = in_flight.pop(task_id)
                busy[unit["account"]["id"]] -= 1
                try:
                    results[unit_key(unit)] = handle.get(timeout=5, propagate=True)
                except Exception as error:  # noqa: BLE001 - a unit that failed for good is an error result
                    results[unit_key(unit)] = failed_result(unit, type(error).__name__, str(error))
                handle.forget()
                progress(f"{len(results)}/{total} {unit_key(unit)}")
            for task_id, (handle, unit, since) in list(in_flight.items()):
                clock = since if task_id in started else max(since, progressed)
                if time.monotonic() - clock > self.unit_timeout:
                    in_flight.pop(task_id)
                    busy[unit["account"]["id"]] -= 1
                    why = (f"no worker finished it in {self.unit_timeout:.0f}s" if task_id in started else
                           f"no worker took it in {self.unit_timeout:.0f}s while none took or finished a unit")
                    results[unit_key(unit)] = failed_result(unit, "Timeout", why)
            if not finished:
                time.sleep(0.05)
        return results


def failed_result(unit: Unit, code: str, message: str) -> Result:
    """A unit that never came back is a failed listing, never an empty one."""
    return {"resources": [], "failures": [{"resource_type": unit["listing_type"], "region": unit.get("region"),
                                           "account": unit["account"]["id"], "code": code, "message": message}],
            "api_calls": {}}

