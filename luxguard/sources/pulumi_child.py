"""The child process a Pulumi program runs in, so that it cannot steer the verdict.

The program's stdout and stderr go nowhere near the report, `os._exit`, a crash, a hang or a
thread left running end only this process, and monkeypatching cannot reach the resource monitor:
the SDK is configured as `pulumi preview` configures it, with the address of the monitor luxguard
serves in the parent (pulumi_monitor_server), which builds the capture from what it receives.
The child writes one JSON result file: ok (the parent still checks that its monitor saw the run
end), or a one-line error naming the program's own file and line.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

from luxguard.sources.program_frames import describe_exception, program_location

_real_exit: Callable[[int], Any] = os._exit


def _write_result(path: str, result: dict[str, Any]) -> None:
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(result, out, sort_keys=True, default=str)
    os.replace(temporary, path)


def _patch_stack_reference() -> None:
    """A StackReference output nobody supplied (--stack-output) is unknown, as in a preview whose
    referenced stack has not been deployed: rules reading it are undecided, never passed."""
    from pulumi import Output, StackReference
    from pulumi.output import UNKNOWN

    def lookup(outputs: dict, name: str) -> Any:
        return outputs[name] if name in outputs else UNKNOWN

    def get_output(self: StackReference, name: Any) -> Output[Any]:
        return Output.all(Output.from_input(name), self.outputs).apply(lambda pair: lookup(pair[1], pair[0]))

    StackReference.get_output = get_output          # type: ignore[method-assign]
    StackReference.require_output = get_output      # type: ignore[method-assign]


def _guard_exit(result_path: str, program_dir: Path) -> None:
    """`os._exit` from the program still leaves a result saying where it was called."""

    def program_exit(status: int = 0) -> None:
        where = program_location(traceback.extract_stack()[:-1], program_dir)
        at = f" at {where}" if where else ""
        _write_result(result_path, {"ok": False, "error": f"the program called os._exit({status}){at}"})
        _real_exit(3)

    os._exit = program_exit  # type: ignore[assignment]


def _run(job: dict[str, Any]) -> dict[str, Any]:
    import pulumi.runtime as runtime
    from pulumi.runtime.sync_await import _sync_await

    program_dir = Path(job["program_dir"])
    runtime.reset_options(project=job["project"], stack=job["stack"], monitor_address=job["monitor"],
                          preview=True, organization="organization", root_directory=str(program_dir))
    runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in job["config"].items()})
    _patch_stack_reference()
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    sys.argv = [job["main_file"]]
    try:
        _sync_await(runtime.run_in_stack(lambda: runpy.run_path(job["main_file"], run_name="__main__")))
    except SystemExit as exc:
        if exc.code not in (0, None):
            where = program_location(traceback.extract_tb(exc.__traceback__), program_dir)
            return {"ok": False, "error": f"the program exited with status {exc.code}" + (f" at {where}" if where else "")}
    except BaseException as exc:  # noqa: BLE001 - whatever the program raised is reported as one line
        # an exception re-raised for the stack's outputs (an export of a failed `.apply`) has lost
        # its frames; the SDK kept those of the first failed RPC
        first = runtime.settings._get_rpc_manager().exception_traceback
        return {"ok": False, "error": describe_exception(exc, program_dir, also=[first])}
    return {"ok": True, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_job(job: dict[str, Any]) -> None:
    """Entry point of the child: run the program of `job`, write `job["result"]`, exit."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 2)
    hang = open(job["hang"], "w", encoding="utf-8")  # noqa: SIM115 - faulthandler writes to it at the deadline
    faulthandler.dump_traceback_later(job["timeout"], exit=True, file=hang)
    _guard_exit(job["result"], Path(job["program_dir"]))
    try:
        result = _run(job)
    except BaseException as exc:  # noqa: BLE001 - luxguard's own failure, worded as such
        result = {"ok": False, "internal": True, "error": f"{type(exc).__name__}: {exc}"}
    _write_result(job["result"], result)
    sys.stdout.flush()
    _real_exit(0)   # threads the program left running must not keep the gate waiting


def main(argv: Optional[list[str]] = None) -> None:
    run_job(json.loads(Path((argv or sys.argv)[1]).read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
