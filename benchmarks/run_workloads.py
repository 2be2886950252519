"""Run the shared benchmark workloads W0-W5 on sfnlocal and moto, side by side.

Usage::

    python benchmarks/run_workloads.py [--repeat 5] [--moto-repeat N] [--only W1,W5] [--no-moto]
                                       [--json] [--write docs/performance.md] [--expressions]
                                       [--report saved.json]

The workloads come from ``../shared/bench/gen_workloads.py`` (beside the repository root), generated
afresh into a temporary directory. Every measurement runs in a fresh process
(``benchmarks/measure_child.py``); within each repetition the peers run one after the other on the
same workload, alternating which goes first, so both see the same machine noise. Figures are
medians. What is timed:

- W0: from just before the parent spawns the child to the moment the child sees the execution
  closed (interpreter start, imports, engine or mock start, create_state_machine, the execution).
- the others: from the first ``start_execution`` to the last execution seen closed (see
  ``peer_sfnlocal.py`` and ``peer_moto.py``); W4 starts 1,000 executions back to back.

Each run checks the output of every execution against what the workload must produce
(``workload_checks.py``) and that the history holds one StateEntered event per transition; a run
that fails a check is reported, never timed. Wall time is the figure; the CPU time of the same
region (steadier on a shared machine) is reported beside it. Peak RSS is ``ru_maxrss`` of the child.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from perf_report import WORKLOADS, console_table, replace_section, summarise, verdicts, workloads_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHILD = HERE / "measure_child.py"
EXPRESSIONS = HERE / "bench_expressions.py"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure (default 5)")
    parser.add_argument("--moto-repeat", type=int, help="fewer moto runs (default: --repeat)")
    parser.add_argument("--only", help="comma-separated workload ids, e.g. W1,W5")
    parser.add_argument("--no-moto", action="store_true", help="run sfnlocal only")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--write", type=Path, help="regenerate the figures in this Markdown file")
    parser.add_argument("--expressions", action="store_true",
                        help="with --write: also run bench_expressions.py and write its figures")
    parser.add_argument("--report", type=Path,
                        help="use a report saved with --json instead of running (with --write)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per measurement")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="the shared/ directory (default: beside the repository root)")
    return parser.parse_args(argv)


def selected(only: str | None) -> list[str]:
    """The workload ids to run, in the canonical order."""
    if not only:
        return list(WORKLOADS)
    wanted = [item.strip() for item in only.split(",") if item.strip()]
    unknown = [item for item in wanted if item not in WORKLOADS]
    if unknown:
        sys.exit(f"unknown workload(s) {unknown}; known: {', '.join(WORKLOADS)}")
    return [item for item in WORKLOADS if item in wanted]


def generate(shared: Path, out: Path) -> None:
    """Write the workload files with the shared generator, or exit with a clear message."""
    generator = shared / "bench" / "gen_workloads.py"
    if not generator.is_file():
        sys.exit(f"cannot find the workload generator {generator}: run from a checkout with shared/ "
                 "beside the repository root, or pass --shared DIR")
    subprocess.run([sys.executable, str(generator), str(out)], check=True, capture_output=True)


def moto_available() -> bool:
    """True when moto and boto3 can be imported (checked without importing them)."""
    return all(importlib.util.find_spec(name) is not None for name in ("moto", "boto3"))


# -- one measurement ----------------------------------------------------------------------------


def measure(peer: str, workload_id: str, folder: Path, timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh child process and return its result."""
    command = [sys.executable, str(CHILD), peer, workload_id, str(folder / f"{workload_id}.json")]
    spawned = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"verdict": "timed out", "problem": f"no result within {timeout:.0f} s"}
    result = _parse_child(done)
    if workload_id == "W0" and result["verdict"] == "ok":  # cold start: the whole process
        result["exec_seconds"] = result["seconds"]
        result["seconds"] = result["done_monotonic"] - spawned
        result["cpu_seconds"] = result["process_cpu_seconds"]
    return result


def _parse_child(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = done.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"verdict": "crashed", "problem": f"exit {done.returncode}: {' | '.join(tail)}"}
    return result


def progress(peer: str, workload_id: str, rep: int, result: dict[str, Any]) -> None:
    """One stderr line per measurement."""
    figure = f"{result['seconds']:.4f} s" if result["verdict"] == "ok" else result["verdict"]
    print(f"  {workload_id:4} {peer:9} run {rep + 1}: {figure}", file=sys.stderr, flush=True)


# -- the whole run ------------------------------------------------------------------------------


def plan(ids: list[str], peers: list[str], repeat: int, moto_repeat: int) -> list[tuple[int, str, str]]:
    """(repetition, workload, peer) in run order: peers interleaved, first peer alternating."""
    order = []
    for rep in range(max(repeat, moto_repeat)):
        for workload_id in ids:
            turn = peers if rep % 2 == 0 else peers[::-1]
            limit = {"sfnlocal": repeat, "moto": moto_repeat}
            order += [(rep, workload_id, peer) for peer in turn if rep < limit[peer]]
    return order


def run_all(args: argparse.Namespace, ids: list[str], peers: list[str], folder: Path) -> dict[str, Any]:
    """Every measurement of the plan, grouped as workload → peer → list of results."""
    moto_repeat = args.moto_repeat or args.repeat
    results: dict[str, dict[str, list[dict[str, Any]]]] = {w: {p: [] for p in peers} for w in ids}
    for rep, workload_id, peer in plan(ids, peers, args.repeat, moto_repeat):
        result = measure(peer, workload_id, folder, args.timeout)
        progress(peer, workload_id, rep, result)
        results[workload_id][peer].append(result)
    return results


def build_report(args: argparse.Namespace, results: dict[str, Any], peers: list[str]) -> dict[str, Any]:
    """The JSON-able report: meta, then per workload the peers' summaries and the target check."""
    workloads = {}
    for workload_id, by_peer in results.items():
        figures = {peer: summarise(runs) for peer, runs in by_peer.items()}
        workloads[workload_id] = {"peers": figures, "check": verdicts(workload_id, figures)}
    meta = {"date": datetime.date.today().isoformat(), "machine": machine(), "peers": peers,
            "versions": versions("moto" in peers), "repeat": args.repeat,
            "moto_repeat": args.moto_repeat or args.repeat}
    return {"meta": meta, "workloads": workloads}


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and OS of this machine."""
    return {"nproc": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions(with_moto: bool) -> dict[str, str | None]:
    """sfnlocal's version and working-tree commit, and moto's version when it ran."""
    return {"sfnlocal": _version("sfnlocal"), "tree": _tree(),
            "moto": _version("moto") if with_moto else None}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _tree() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() or "unknown"


# -- output -------------------------------------------------------------------------------------


def expressions_section() -> str:
    """Run bench_expressions.py and wrap its output for docs/performance.md."""
    done = subprocess.run([sys.executable, str(EXPRESSIONS)], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    today = datetime.date.today().isoformat()
    return (f"Measured {today}, {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores (`python benchmarks/bench_expressions.py`):\n\n"
            f"```\n{done.stdout.strip()}\n```")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the workloads, measure them and build the report."""
    ids = selected(args.only)
    peers = ["sfnlocal"] + ([] if args.no_moto or not moto_available() else ["moto"])
    if not args.no_moto and "moto" not in peers:
        print("moto is not installed: sfnlocal only (pip install 'moto[stepfunctions]')",
              file=sys.stderr)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sfnlocal-bench-") as tmp:
        generate(args.shared, Path(tmp))
        report = build_report(args, run_all(args, ids, peers, Path(tmp)), peers)
    report["meta"]["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return report


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = json.loads(args.report.read_text(encoding="utf-8")) if args.report else run(args)
    print(json.dumps(report, indent=2) if args.json else console_table(report))
    if args.write:
        replace_section(args.write, "workloads", workloads_section(report))
        if args.expressions:
            replace_section(args.write, "expressions", expressions_section())


if __name__ == "__main__":
    main()
