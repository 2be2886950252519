"""`sfnlocal serve` over HTTP: requests per second, latency, and W4 through the server.

Usage::

    python benchmarks/bench_server.py [--repeat 5] [--pairs 2000] [--concurrency 16,64]
                                      [--no-moto] [--moto-w4] [--json] [--write docs/performance.md]
    python benchmarks/bench_server.py --profile server.pyisession [--pairs 5000]
    python -m pyinstrument --load server.pyisession -p show_all=true

``--profile OUT`` runs one load (64-connection pairs, then W4 over 16 connections) on a server
started under pyinstrument; the renderer follows OUT's suffix (``.txt``, ``.html``, ``.pyisession``).

Every measurement starts a fresh server process (``python -m sfnlocal.cli serve --port 0
--no-examples``, i.e. ``sfnlocal serve``; moto's is ``python -m moto.server -p PORT`` with
``execute_state_machine`` switched on through ``/moto-api/config``, so both servers run the
executions they are asked to start) and drives it from this process, so server and client do not
share a GIL. moto's server needs ``pip install 'moto[server]'`` (Flask); without it, sfnlocal
only. Measurements:

- **pairs**: StartExecution + DescribeExecution of the started execution, ``--pairs`` times, on a
  one-Pass machine (W0's definition; the executions really run on the server). Clients: one
  sequential boto3 client (SigV4-signed, ``Config(retries={"total_max_attempts": 1},
  inject_host_prefix=False)``, as a test suite sees the server), and an aiohttp client with N
  connections (``--concurrency``) sending JSON 1.0 requests with a fixed, unverified SigV4
  ``Authorization`` header (neither server checks signatures). A warm-up (20 pairs, or one pair per
  connection) is not timed. Figures: requests/s (two per pair), p50/p99 latency of single requests,
  the server's CPU time per request (``/proc/PID/stat``), and the client's CPU share (near 100 %
  means the client, not the server, was the limit).
- **W4 through the server** (``--clock virtual``, as the engine benchmark): CreateStateMachine with
  W4's definition, then, timed: 1,000 StartExecution (names ``e0``...), then ListExecutions
  (``statusFilter=RUNNING``, ``maxResults=1``) polled with a back-off from 1 to 20 ms until none is
  running. Drivers: sequential boto3, and aiohttp with 16 connections. After the timed region every
  execution's output and history are checked as ``run_workloads.py`` checks them. Beside them, W4
  on the embedded engine, measured in the same repetitions by ``run_workloads.measure``.

Figures are medians over ``--repeat`` repetitions, peers interleaved (the first peer alternating).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.util
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp
from perf_report import NONE, replace_section, seconds_text
from run_workloads import ROOT, generate, machine, measure, moto_available, versions
from workload_checks import check_history, check_output, executions

ROLE_ARN = "arn:aws:iam::123456789012:role/bench"
TARGET = "AWSStepFunctions."
HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": ("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/states/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-target, Signature=" + "0" * 64),
}
POLL_FIRST, POLL_MAX = 0.001, 0.02
W4_TIMEOUT = 120.0
"""Seconds W4 may run before the run is dropped as timed out (moto can leave an execution RUNNING)."""
W4_CONNECTIONS = 16
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per figure (default 5)")
    parser.add_argument("--pairs", type=int, default=2000, help="timed pairs per measurement")
    parser.add_argument("--concurrency", default="16,64", help="aiohttp connections (default 16,64)")
    parser.add_argument("--no-moto", action="store_true", help="sfnlocal only")
    parser.add_argument("--moto-w4", action="store_true", help="also W4 through moto's server (slow)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--write", type=Path, help="replace the server figures in this Markdown file")
    parser.add_argument("--report", type=Path, help="use a report saved with --json (with --write)")
    parser.add_argument("--profile", type=Path, metavar="OUT",
                        help="run one load (64 connections + W4) on a server under pyinstrument")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared",
                        help="the shared/ directory (default: beside the repository root)")
    return parser.parse_args(argv)


# -- server processes ---------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """A server started by this script: its URL, its process and its log file."""

    peer: str
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        """SIGINT (both servers stop cleanly on it), then wait; kill after 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def sfnlocal_command(clock: str) -> list[str]:
    return [sys.executable, "-m", "sfnlocal.cli", "serve", "--port", "0", "--no-examples",
            "--clock", clock]


def start_sfnlocal(clock: str, profile: Path | None = None) -> ServerProcess:
    """``sfnlocal serve`` on a free port; its URL is read from the line it prints when ready."""
    command = sfnlocal_command(clock)
    if profile is not None:
        command[1:3] = ["-m", "pyinstrument", "-o", str(profile), "-m", "sfnlocal.cli"]
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by ServerProcess.stop)
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if "listening on " not in line:
        process.wait()
        log.seek(0)
        log_tail = log.read()[-500:].decode(errors="replace")
        log.close()
        raise RuntimeError(f"sfnlocal serve did not start: {line!r} {log_tail}")
    url = line.split("listening on ", 1)[1].split()[0]
    return ServerProcess("sfnlocal", url, process, log)


def start_moto() -> ServerProcess:
    """moto's server on a free port, with executions run for real."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by ServerProcess.stop)
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)], cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    config = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
    deadline = time.monotonic() + 30
    while True:
        try:
            request = urllib.request.Request(f"{url}/moto-api/config", data=config, method="POST",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=5).read()
            return ServerProcess("moto", url, process, log)
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.05)


def start(peer: str, clock: str = "system") -> ServerProcess:
    return start_sfnlocal(clock) if peer == "sfnlocal" else start_moto()


# -- clients ------------------------------------------------------------------------------------


def boto3_client(url: str) -> Any:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(retries={"total_max_attempts": 1}, inject_host_prefix=False)
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1", config=config,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


async def call(session: aiohttp.ClientSession, url: str, action: str, members: dict[str, Any]) -> Any:
    """One JSON 1.0 request; the response's members (raises on an HTTP error)."""
    headers = {**HEADERS, "X-Amz-Target": TARGET + action}
    async with session.post(url, data=json.dumps(members).encode(), headers=headers) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"{action}: HTTP {response.status}: {body[:300]!r}")
        return json.loads(body)


def session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                 timeout=aiohttp.ClientTimeout(total=120))


def create_machine(url: str, definition: Any, name: str = "bench") -> str:
    client = boto3_client(url)
    response = client.create_state_machine(name=name, definition=json.dumps(definition),
                                           roleArn=ROLE_ARN)
    return str(response["stateMachineArn"])


# -- the timed region ---------------------------------------------------------------------------


class Region:
    """Wall time, this process's CPU time and the server's CPU time between ``start`` and ``stop``."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.figures: dict[str, float] = {}

    def start(self) -> None:
        self._marks = (time.perf_counter(), time.process_time(), self.server.cpu_seconds())

    def stop(self) -> None:
        wall, cpu, server_cpu = self._marks
        self.figures = {"seconds": time.perf_counter() - wall,
                        "client_cpu_s": time.process_time() - cpu,
                        "server_cpu_s": self.server.cpu_seconds() - server_cpu}


# -- (a) StartExecution + DescribeExecution pairs -----------------------------------------------


def pairs_boto3(region: Region, arn: str, total: int) -> list[float]:
    """Sequential pairs from one boto3 client; the latency of each request."""
    client = boto3_client(region.server.url)
    names = (f"p{index}" for index in range(total + 20))  # moto's server needs a name

    def pair(latencies: list[float]) -> None:
        started = time.perf_counter()
        response = client.start_execution(stateMachineArn=arn, input="{}", name=next(names))
        middle = time.perf_counter()
        client.describe_execution(executionArn=response["executionArn"])
        latencies += [middle - started, time.perf_counter() - middle]

    for _ in range(20):
        pair([])
    latencies: list[float] = []
    region.start()
    for _ in range(total):
        pair(latencies)
    region.stop()
    return latencies


async def pairs_aiohttp(region: Region, arn: str, total: int, connections: int) -> list[float]:
    """Pairs from ``connections`` concurrent workers over one aiohttp session."""
    url = region.server.url
    latencies: list[float] = []
    names = (f"p{index}" for index in range(total + connections))

    async def pair(http: aiohttp.ClientSession, sink: list[float]) -> None:
        started = time.perf_counter()
        members = {"stateMachineArn": arn, "input": "{}", "name": next(names)}
        response = await call(http, url, "StartExecution", members)
        middle = time.perf_counter()
        await call(http, url, "DescribeExecution", {"executionArn": response["executionArn"]})
        sink += [middle - started, time.perf_counter() - middle]

    async def worker(http: aiohttp.ClientSession, remaining: list[int]) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            await pair(http, latencies)

    async with session(connections) as http:
        await asyncio.gather(*(pair(http, []) for _ in range(connections)))  # opens the connections
        remaining = [total]
        region.start()
        await asyncio.gather(*(worker(http, remaining) for _ in range(connections)))
        region.stop()
    return latencies


def measure_pairs(peer: str, client: str, definition: Any, total: int) -> dict[str, Any]:
    """One pairs measurement on a fresh server."""
    server = start(peer)
    region = Region(server)
    try:
        arn = create_machine(server.url, definition)
        if client == "boto3":
            latencies = pairs_boto3(region, arn, total)
        else:
            latencies = asyncio.run(pairs_aiohttp(region, arn, total, int(client[7:])))
    finally:
        server.stop()
    latencies.sort()
    return {"verdict": "ok", **region.figures, "requests": len(latencies),
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)]}


# -- (b) W4 through the server ------------------------------------------------------------------


def w4_boto3(region: Region, arn: str, text: str, count: int) -> list[str]:
    """Start ``count`` executions one after the other, then poll until none is running."""
    client = boto3_client(region.server.url)
    client.list_executions(stateMachineArn=arn, maxResults=1)  # connects
    region.start()
    arns = [client.start_execution(stateMachineArn=arn, input=text, name=f"e{index}")["executionArn"]
            for index in range(count)]
    pause, deadline = POLL_FIRST, time.monotonic() + W4_TIMEOUT
    while client.list_executions(stateMachineArn=arn, statusFilter="RUNNING",
                                 maxResults=1)["executions"]:
        still_running(deadline)
        time.sleep(pause)
        pause = min(pause * 2, POLL_MAX)
    region.stop()
    return arns


async def w4_aiohttp(region: Region, arn: str, text: str, count: int) -> list[str]:
    """Start ``count`` executions over 16 connections, then poll until none is running."""
    url = region.server.url
    arns: list[str] = [""] * count
    pending = list(range(count))[::-1]

    async def worker(http: aiohttp.ClientSession) -> None:
        while pending:
            index = pending.pop()
            members = {"stateMachineArn": arn, "input": text, "name": f"e{index}"}
            arns[index] = (await call(http, url, "StartExecution", members))["executionArn"]

    async with session(W4_CONNECTIONS) as http:
        query = {"stateMachineArn": arn, "statusFilter": "RUNNING", "maxResults": 1}
        await asyncio.gather(*(call(http, url, "ListExecutions", query)
                               for _ in range(W4_CONNECTIONS)))  # opens the connections
        region.start()
        await asyncio.gather(*(worker(http) for _ in range(W4_CONNECTIONS)))
        pause, deadline = POLL_FIRST, time.monotonic() + W4_TIMEOUT
        while (await call(http, url, "ListExecutions", query))["executions"]:
            still_running(deadline)
            await asyncio.sleep(pause)
            pause = min(pause * 2, POLL_MAX)
        region.stop()
    return arns


def still_running(deadline: float) -> None:
    """Raise TimeoutError once the deadline has passed."""
    if time.monotonic() > deadline:
        raise TimeoutError(f"an execution was still RUNNING after {W4_TIMEOUT:.0f} s")


async def verify_w4(url: str, arns: list[str], workload: dict[str, Any]) -> dict[str, Any]:
    """Every execution SUCCEEDED with W4's output; one StateEntered event per transition."""
    async with session(W4_CONNECTIONS) as http:
        records = await asyncio.gather(*(described(http, url, arn) for arn in arns))
        histories = await asyncio.gather(*(call(http, url, "GetExecutionHistory",
                                                {"executionArn": arn, "maxResults": 1000})
                                           for arn in arns))
    for record in records:
        if record["status"] != "SUCCEEDED":
            return {"verdict": "not runnable", "problem": f"{record['status']}: {record}"}
        problem = check_output("W4", workload, json.loads(record["output"]))
        if problem is not None:
            return {"verdict": "wrong output", "problem": problem}
    entered = sum(1 for history in histories for event in history["events"]
                  if event["type"].endswith("StateEntered"))
    events = sum(len(history["events"]) for history in histories)
    problem = check_history("W4", workload, entered, events)
    return {"verdict": "wrong history", "problem": problem} if problem else {"verdict": "ok"}


async def described(http: aiohttp.ClientSession, url: str, arn: str) -> Any:
    """DescribeExecution, again while SUCCEEDED without output (moto sets the status first)."""
    for _ in range(100):
        record = await call(http, url, "DescribeExecution", {"executionArn": arn})
        if record["status"] != "SUCCEEDED" or "output" in record:
            return record
        await asyncio.sleep(0.01)
    return record


def measure_w4(peer: str, client: str, workload: dict[str, Any]) -> dict[str, Any]:
    """W4 through a fresh server (virtual clock for sfnlocal, as the engine benchmark)."""
    server = start(peer, clock="virtual")
    region = Region(server)
    try:
        arn = create_machine(server.url, workload["definition"])
        text, count = json.dumps(workload["input"]), executions("W4")
        try:
            if client == "boto3":
                arns = w4_boto3(region, arn, text, count)
            else:
                arns = asyncio.run(w4_aiohttp(region, arn, text, count))
        except TimeoutError as exc:
            return {"verdict": "timed out", "problem": str(exc)}
        verdict = asyncio.run(verify_w4(server.url, arns, workload))
    finally:
        server.stop()
    return {**region.figures, **verdict}


# -- the whole run ------------------------------------------------------------------------------


def moto_server_available() -> bool:
    """moto, boto3 and what moto's server needs (``pip install 'moto[server]'``)."""
    found = moto_available() and all(importlib.util.find_spec(n) for n in ("flask", "flask_cors"))
    if not found:
        print("moto's server is not installed: sfnlocal only (pip install 'moto[server]')",
              file=sys.stderr)
    return found


def plan(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """(kind, peer, client) of one repetition."""
    peers = ["sfnlocal"] + ([] if args.no_moto or not moto_server_available() else ["moto"])
    clients = ["boto3"] + [f"aiohttp{n.strip()}" for n in args.concurrency.split(",") if n.strip()]
    steps = [("pairs", peer, client) for client in clients for peer in peers]
    steps += [("w4", "engine", "embedded"), ("w4", "sfnlocal", "boto3"),
              ("w4", "sfnlocal", f"aiohttp{W4_CONNECTIONS}")]
    if args.moto_w4 and "moto" in peers:
        steps.append(("w4", "moto", f"aiohttp{W4_CONNECTIONS}"))
    return steps


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every measurement of every repetition; the report."""
    results: dict[str, list[dict[str, Any]]] = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sfnlocal-bench-") as tmp:
        folder = Path(tmp)
        generate(args.shared, folder)
        workloads = {w: json.loads((folder / f"{w}.json").read_text()) for w in ("W0", "W4")}
        steps = plan(args)
        for rep in range(args.repeat):
            for kind, peer, client in steps if rep % 2 == 0 else steps[::-1]:
                result = one(kind, peer, client, workloads, folder, args.pairs)
                results.setdefault(f"{kind}|{peer}|{client}", []).append(result)
                print(f"  {kind:5} {peer:8} {client:9} run {rep + 1}: {brief(result)}",
                      file=sys.stderr, flush=True)
    meta = {"date": datetime.date.today().isoformat(), "machine": machine(),
            "versions": versions(not args.no_moto), "repeat": args.repeat, "pairs": args.pairs,
            "load_average": [round(load, 2), round(os.getloadavg()[0], 2)]}
    return {"meta": meta, "figures": {key: summary(runs) for key, runs in results.items()}}


def one(kind: str, peer: str, client: str, workloads: dict[str, Any], folder: Path,
        pairs: int) -> dict[str, Any]:
    """One measurement; a failure is a result ("crashed"), so the other figures survive it."""
    try:
        return _one(kind, peer, client, workloads, folder, pairs)
    except Exception as exc:
        return {"verdict": "crashed", "problem": f"{type(exc).__name__}: {exc}"}


def _one(kind: str, peer: str, client: str, workloads: dict[str, Any], folder: Path,
         pairs: int) -> dict[str, Any]:
    if kind == "pairs":
        return measure_pairs(peer, client, workloads["W0"]["definition"], pairs)
    if peer == "engine":
        return measure("sfnlocal", "W4", folder, 300)
    return measure_w4(peer, client, workloads["W4"])


def brief(result: dict[str, Any]) -> str:
    if result["verdict"] != "ok":
        return f"{result['verdict']}: {result.get('problem')}"
    if "requests" in result:
        return f"{result['requests'] / result['seconds']:.0f} req/s, p99 {result['p99_ms']:.2f} ms"
    return seconds_text(result["seconds"])


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the runs that passed; a failed check fails the figure, a crash or a hang drops
    the run (counted in ``dropped``)."""
    bad = [run for run in runs if run["verdict"] not in ("ok", "crashed", "timed out")]
    crashed = [run for run in runs if run["verdict"] in ("crashed", "timed out")]
    runs = [run for run in runs if run["verdict"] == "ok"]
    if bad or not runs:
        first = (bad or crashed)[0]
        return {"verdict": first["verdict"], "problem": first.get("problem"), "runs": bad + crashed}
    keys = [key for key, value in runs[0].items() if isinstance(value, int | float)]
    out: dict[str, Any] = {"verdict": "ok", "runs": len(runs), "dropped": [run["problem"] for run in crashed],
                           **{key: statistics.median(run[key] for run in runs) for key in keys}}
    if "requests" in out:
        out["requests_per_s"] = statistics.median(r["requests"] / r["seconds"] for r in runs)
        out["server_cpu_us"] = statistics.median(1e6 * r["server_cpu_s"] / r["requests"] for r in runs)
        out["client_cpu_share"] = statistics.median(r["client_cpu_s"] / r["seconds"] for r in runs)
    return out


# -- output -------------------------------------------------------------------------------------


def pairs_table(figures: dict[str, Any]) -> list[str]:
    rows = ["| server | client | requests/s | p50 | p99 | server CPU per request | client CPU |",
            "|---|---|---|---|---|---|---|"]
    for key, fig in figures.items():
        kind, peer, client = key.split("|")
        if kind != "pairs":
            continue
        count = client[7:]
        label = ("boto3, sequential" if client == "boto3" else
                 f"aiohttp, {count} connection{'' if count == '1' else 's'}")
        if fig["verdict"] != "ok":
            rows.append(f"| {peer} | {label} | {fig['verdict']} | | | | |")
            continue
        rows.append(f"| {peer} | {label} | {fig['requests_per_s']:,.0f} | "
                    f"{seconds_text(fig['p50_ms'] / 1000)} | {seconds_text(fig['p99_ms'] / 1000)} | "
                    f"{fig['server_cpu_us']:,.0f} µs | {100 * fig['client_cpu_share']:.0f} % |")
    return rows


def w4_table(figures: dict[str, Any]) -> list[str]:
    rows = ["| W4 through | wall | executions/s | server (engine) CPU | client CPU |",
            "|---|---|---|---|---|"]
    for key, fig in figures.items():
        kind, peer, client = key.split("|")
        if kind != "w4":
            continue
        label = ("the embedded engine (`run_workloads.py`)" if peer == "engine" else
                 f"{peer} server, {'sequential boto3' if client == 'boto3' else '16 aiohttp connections'}")
        if fig["verdict"] != "ok":
            rows.append(f"| {label} | {fig['verdict']}: {fig.get('problem')} | | | |")
            continue
        server_cpu = fig.get("server_cpu_s", fig.get("cpu_seconds"))
        client_cpu = seconds_text(fig["client_cpu_s"]) if "client_cpu_s" in fig else NONE
        rows.append(f"| {label} | {seconds_text(fig['seconds'])} | {1000 / fig['seconds']:,.0f} | "
                    f"{seconds_text(server_cpu)} | {client_cpu} |")
    return rows


def section(report: dict[str, Any]) -> str:
    meta, mach = report["meta"], report["meta"]["machine"]
    head = (f"Measured {meta['date']} on {mach['nproc']} cores ({mach['cpu']}), "
            f"{mach['implementation']} {mach['python']}; sfnlocal {meta['versions']['sfnlocal']} "
            f"(tree {meta['versions']['tree']}), moto {meta['versions'].get('moto') or NONE}. "
            f"Medians over {meta['repeat']} fresh server processes per figure, {meta['pairs']:,} "
            f"timed pairs each; 1-minute load average {meta['load_average'][0]}, "
            f"{meta['load_average'][1]} (start, end).")
    for key, fig in report["figures"].items():
        if fig.get("dropped"):
            head += (f" {key.replace('|', ' ')}: {len(fig['dropped'])} run(s) left out "
                     f"({'; '.join(sorted(set(fig['dropped'])))}).")
    return "\n".join([head, "", *pairs_table(report["figures"]), "",
                      *w4_table(report["figures"])])


def profile(args: argparse.Namespace) -> None:
    """One load (64-connection pairs, then W4) on a server run under pyinstrument."""
    with tempfile.TemporaryDirectory(prefix="sfnlocal-bench-") as tmp:
        generate(args.shared, Path(tmp))
        w0, w4 = (json.loads((Path(tmp) / f"{w}.json").read_text()) for w in ("W0", "W4"))
    server = start_sfnlocal("virtual", profile=args.profile.resolve())
    try:
        region = Region(server)
        arn = create_machine(server.url, w0["definition"])
        latencies = asyncio.run(pairs_aiohttp(region, arn, args.pairs, 64))
        print(f"pairs: {len(latencies) / region.figures['seconds']:.0f} req/s", file=sys.stderr)
        arn = create_machine(server.url, w4["definition"], "w4")
        asyncio.run(w4_aiohttp(region, arn, json.dumps(w4["input"]), executions("W4")))
        print(f"W4: {seconds_text(region.figures['seconds'])}", file=sys.stderr)
    finally:
        server.stop()
    print(f"profile written to {args.profile}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.profile:
        profile(args)
        return
    report = json.loads(args.report.read_text(encoding="utf-8")) if args.report else run(args)
    print(json.dumps(report, indent=2) if args.json else section(report))
    if args.write:
        replace_section(args.write, "server", section(report))


if __name__ == "__main__":
    main()
