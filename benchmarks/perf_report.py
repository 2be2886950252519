"""Summaries, tables and docs/performance.md sections for run_workloads.py.

A *report* is the JSON-able dict that ``run_workloads.py --json`` prints: ``meta`` (date, machine,
versions, repetitions) and ``workloads`` (id → peer → summary). A summary holds the verdict of the
runs, every run's seconds, their median, the peak RSS median and the history counts.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

# id → (what, target seconds or None, target peak RSS in MB or None)
WORKLOADS: dict[str, tuple[str, float | None, float | None]] = {
    "W0": ("cold start: process start to first finished execution (1 Pass)", 0.3, None),
    "W1": ("chain of 1,000 Pass states with Parameters + ResultPath", 0.010, None),
    "W2": ("inline Map over 10,000 items, 3 Pass states each", 0.3, 200.0),
    "W2s": ("the same Map over 1,000 items", None, None),
    "W3": ("Parallel, 100 branches of 5 Pass states", 0.010, None),
    "W4": ("1,000 executions of a 10-Pass machine started at once", 0.2, None),
    "W5": ("counter loop: Choice + Pass States.MathAdd, 1,000 rounds", 0.020, None),
}
PEERS = ("sfnlocal", "moto")
MB = 1e6  # figures in MB are 10^6 bytes
NONE = "\u2013"  # an en dash: no figure, no target


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold the child results of one (workload, peer) into a summary."""
    bad = [run for run in runs if run["verdict"] != "ok"]
    if bad:
        return {"verdict": bad[0]["verdict"], "problem": bad[0].get("problem"),
                "runs": len(runs), "failed_runs": len(bad)}
    seconds = [run["seconds"] for run in runs]
    execution = statistics.median(run.get("exec_seconds", run["seconds"]) for run in runs)
    entered = runs[0]["entered"]
    return {
        "verdict": "ok", "problem": None, "runs": len(runs), "seconds": seconds,
        "median_s": statistics.median(seconds), "median_exec_s": execution,
        "median_cpu_s": statistics.median(run["cpu_seconds"] for run in runs),
        "median_rss_mb": statistics.median(run["rss_kb"] * 1024 / MB for run in runs),
        "events": runs[0]["events"], "entered": entered,
        "us_per_transition": execution / entered * 1e6 if entered else None,
    }


def verdicts(workload_id: str, figures: dict[str, Any]) -> dict[str, Any]:
    """The target, whether sfnlocal meets it, and moto's median over sfnlocal's."""
    _, target_s, target_mb = WORKLOADS[workload_id]
    ours, moto = figures.get("sfnlocal"), figures.get("moto")
    out: dict[str, Any] = {"target_s": target_s, "target_mb": target_mb, "met": None,
                           "met_on_cpu": None, "ratio": None, "cpu_ratio": None}
    if _ok(ours) and target_s is not None:
        memory_ok = target_mb is None or ours["median_rss_mb"] <= target_mb
        out["met"] = ours["median_s"] <= target_s and memory_ok
        out["met_on_cpu"] = ours["median_cpu_s"] <= target_s and memory_ok
    if _ok(ours) and _ok(moto):
        out["ratio"] = moto["median_s"] / ours["median_s"]
        out["cpu_ratio"] = moto["median_cpu_s"] / ours["median_cpu_s"]
    return out


def _ok(summary: dict[str, Any] | None) -> bool:
    return summary is not None and summary["verdict"] == "ok"


# -- formatting ---------------------------------------------------------------------------------


def seconds_text(seconds: float) -> str:
    """``5.43 ms``, ``0.312 s`` or ``47.0 s``: three significant figures."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 0.1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def figure_text(workload_id: str, summary: dict[str, Any] | None) -> str:
    """One peer's cell: the median, plus peak RSS for W2 and executions/s for W4."""
    if summary is None:
        return "not run"
    if summary["verdict"] != "ok":
        return "not yet runnable" if summary["verdict"] == "not runnable" else summary["verdict"]
    text = seconds_text(summary["median_s"])
    if workload_id.startswith("W2"):
        text += f", {summary['median_rss_mb']:.0f} MB"
    if workload_id == "W4":
        text += f" ({1000 / summary['median_s']:,.0f} exec/s)"
    return text


def target_text(check: dict[str, Any]) -> str:
    """``≤ 10 ms``, ``≤ 0.3 s, ≤ 200 MB`` or NONE."""
    if check["target_s"] is None:
        return NONE
    text = "≤ " + seconds_text(check["target_s"])
    return text + (f", ≤ {check['target_mb']:.0f} MB" if check["target_mb"] else "")


def met_text(check: dict[str, Any]) -> str:
    """``met``, ``NOT met (met on CPU time)``, ``NOT met`` or NONE (no target or no figure)."""
    if check["met"] is None:
        return NONE
    if check["met"]:
        return "met"
    return "NOT met (met on CPU time)" if check["met_on_cpu"] else "NOT met"


def ratio_text(check: dict[str, Any]) -> str:
    """moto's median over sfnlocal's, wall clock then CPU time, e.g. ``412x (380x)``."""
    if check["ratio"] is None:
        return NONE
    return f"{check['ratio']:,.0f}x ({check['cpu_ratio']:,.0f}x)"


def cpu_text(summary: dict[str, Any] | None) -> str:
    """sfnlocal's median CPU time over the timed region."""
    return seconds_text(summary["median_cpu_s"]) if _ok(summary) else NONE


def per_transition_text(summary: dict[str, Any] | None) -> str:
    """sfnlocal's median wall time per state entered, e.g. ``5.4 µs`` (W0: its one state)."""
    if not _ok(summary) or summary["us_per_transition"] is None:
        return NONE
    return f"{summary['us_per_transition']:.3g} µs"


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """Header + one row per workload, shared by the console and the Markdown table."""
    rows = [["id", "workload", "sfnlocal", "sfnlocal CPU", "per state", "moto",
             "moto/sfnlocal (CPU)", "target", "target met"]]
    for workload_id, entry in report["workloads"].items():
        figures, check = entry["peers"], entry["check"]
        ours = figures.get("sfnlocal")
        rows.append([
            workload_id, WORKLOADS[workload_id][0], figure_text(workload_id, ours), cpu_text(ours),
            per_transition_text(ours),
            figure_text(workload_id, figures.get("moto")), ratio_text(check), target_text(check),
            met_text(check),
        ])
    return rows


def console_table(report: dict[str, Any]) -> str:
    """The figures as an aligned plain-text table, then any problems."""
    rows = table_rows(report)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    return "\n".join(lines + problem_lines(report))


def problem_lines(report: dict[str, Any]) -> list[str]:
    """One line per (workload, peer) whose runs did not all pass their checks."""
    lines = []
    for workload_id, entry in report["workloads"].items():
        for peer, summary in entry["peers"].items():
            if summary["verdict"] != "ok":
                lines.append(f"{workload_id} on {peer}: {summary['verdict']}: {summary['problem']}")
    return lines


def markdown_table(report: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    rows = table_rows(report)
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


# -- docs/performance.md ------------------------------------------------------------------------


def workloads_section(report: dict[str, Any]) -> str:
    """The generated figures section of docs/performance.md."""
    meta = report["meta"]
    machine = meta["machine"]
    lines = [
        f"Measured {meta['date']} on {machine['nproc']} cores ({machine['cpu']}), "
        f"{machine['implementation']} {machine['python']}, {machine['platform']}; "
        f"sfnlocal {meta['versions']['sfnlocal']} (tree {meta['versions']['tree']}), "
        f"moto {meta['versions'].get('moto') or 'not installed'}. "
        f"Medians over {meta['repeat']} fresh processes per figure "
        f"({meta['moto_repeat']} for moto), peers interleaved; 1-minute load average "
        f"{_load(meta)} (start, end) on this {machine['nproc']}-core machine.",
        "",
        markdown_table(report),
    ]
    problems = problem_lines(report)
    if problems:
        lines += ["", "Not runnable or wrong in this run:", ""] + [f"- {line}" for line in problems]
    return "\n".join(lines)


def _load(meta: dict[str, Any]) -> str:
    load = meta.get("load_average")
    return "unknown" if not load else f"{load[0]:.1f}, {load[1]:.1f}"


def replace_section(path: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` (or append it)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + ("\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")
