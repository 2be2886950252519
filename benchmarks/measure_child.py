"""One measurement of one workload on one peer, in a process of its own (run by run_workloads.py).

Usage: ``python benchmarks/measure_child.py PEER WORKLOAD_ID WORKLOAD_FILE`` with PEER ``sfnlocal``
or ``moto``. Prints one JSON object on stdout: ``verdict`` (``ok``, ``not runnable``, ``wrong
output``, ``wrong history``), ``problem``, ``seconds`` (the peer module's timed region),
``done_monotonic`` (``time.monotonic()`` when the last execution was seen closed: the parent
subtracts its own reading taken just before spawning this process to get the cold start), ``rss_kb``
(peak RSS of this process, ``ru_maxrss``, read right after the timed region), ``events`` and
``entered`` (history events, and StateEntered events among them, over all executions).

The peer module is imported only after the process has started, so a cold-start measurement counts
its imports; the sfnlocal measured is the one in this working tree.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from workload_checks import check_history, check_output, executions

ROOT = Path(__file__).resolve().parent.parent
PEERS = {"sfnlocal": "peer_sfnlocal", "moto": "peer_moto"}
KEPT = ("seconds", "cpu_seconds", "process_cpu_seconds", "done_monotonic", "rss_kb", "events",
        "entered", "statuses")


def main(argv: list[str]) -> None:
    peer, workload_id, path = argv
    sys.path.insert(1, str(ROOT))
    workload = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        raw = importlib.import_module(PEERS[peer]).measure(workload, executions(workload_id))
    except Exception as exc:  # a peer that cannot run the workload yet is a finding, not a crash
        trace = traceback.format_exc(limit=-4)
        _report({"verdict": "not runnable", "problem": f"{type(exc).__name__}: {exc}",
                 "trace": trace})
        return
    _report({**{key: raw[key] for key in KEPT}, **_verdict(workload_id, workload, raw)})


def _verdict(workload_id: str, workload: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    if raw["failure"] is not None:
        return {"verdict": "not runnable", "problem": raw["failure"]}
    for output in raw["outputs"]:
        problem = check_output(workload_id, workload, output)
        if problem is not None:
            return {"verdict": "wrong output", "problem": problem}
    problem = check_history(workload_id, workload, raw["entered"], raw["events"])
    if problem is not None:
        return {"verdict": "wrong history", "problem": problem}
    return {"verdict": "ok", "problem": None}


def _report(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
