"""The ``sfnlocal`` command.

Sub-commands:
    validate FILE...        print ``file: location: CODE message`` per diagnostic; exit 1 on errors
    graph FILE --format F   print the state graph as Mermaid, Graphviz DOT or JSON
    run FILE [--input JSON|@file] [--name N] [--clock virtual|system] [--json]
        [--mock-config FILE --test-case NAME [--state-machine NAME]]
                            run one execution; print its output (exit 0), or ``error: cause`` on
                            stderr (exit 1); ``--json`` prints ``{"execution": <DescribeExecution>,
                            "history": {"events": [...]}}`` instead. Exit 2 when it cannot start
                            (unreadable file, invalid definition, input that is not JSON, a bad
                            mock file or unknown test case). A test case of a Step Functions Local
                            mock file answers the Task states it lists.
    serve [--host H] [--port P] [--clock system|virtual] [--definitions DIR] [--no-examples]
          [--region R] [--config FILE] [--quiet]
                            run the HTTP server (Step Functions, SQS, Lambda + web page) until SIGINT or
                            SIGTERM; exit 1 with a one-line message when the port is taken, 2 when
                            the config or mock file (``SFN_MOCK_CONFIG``) is broken. SIGHUP reloads
                            the config file.

``asyncio.run`` is used only at the edge (``sfnlocal.run``).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sfnlocal import __version__, asl
from sfnlocal.asl.diagnostics import Diagnostic
from sfnlocal.datafile import ConfigError
from sfnlocal.errors import InvalidDefinition, ServiceError
from sfnlocal.integrations.base import Registry
from sfnlocal.integrations.mock import ENV_VAR, MockConfig, MockConfigError, load_mock_config
from sfnlocal.runner import RunResult, run

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sfnlocal`` command."""
    parser = argparse.ArgumentParser(
        prog="sfnlocal",
        description="A local emulator and embeddable engine for AWS Step Functions.",
    )
    parser.add_argument("--version", action="version", version=f"sfnlocal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_validate(sub)
    _add_graph(sub)
    _add_run(sub)
    _add_serve(sub)
    return parser


def _add_validate(sub: Any) -> None:
    p = sub.add_parser("validate", help="validate definitions the way AWS does")
    p.add_argument("files", nargs="+", metavar="FILE", help=".json, .asl.json, .yaml or .yml files")
    p.add_argument("--type", choices=("STANDARD", "EXPRESS"), default="STANDARD",
                   help="state machine type (default STANDARD)")
    p.set_defaults(handler=_cmd_validate)


def _add_graph(sub: Any) -> None:
    p = sub.add_parser("graph", help="print the state graph of a definition")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("mermaid", "dot", "json"), default="mermaid",
                   help="output format (default mermaid)")
    p.set_defaults(handler=_cmd_graph)


def _diagnostics_of(path: str, type_: str) -> list[Diagnostic]:
    try:
        definition = asl.load(path)
    except InvalidDefinition as err:
        return list(err.diagnostics)
    return asl.validate(definition, type_)


def _format_diagnostic(path: str, diag: Diagnostic) -> str:
    where = f"{diag.location}: " if diag.location is not None else ""
    level = "" if diag.severity == "ERROR" else f"{diag.severity} "
    return f"{path}: {where}{level}{diag.code} {diag.message}"


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    failed = False
    for path in args.files:
        try:
            diagnostics = _diagnostics_of(path, args.type)
        except OSError as exc:
            print(f"{path}: {exc.strerror or exc}", file=err)
            failed = True
            continue
        for diag in diagnostics:
            print(_format_diagnostic(path, diag), file=out)
        failed |= any(d.severity == "ERROR" for d in diagnostics)
        if not diagnostics:
            print(f"{path}: OK", file=out)
    return 1 if failed else 0


def _cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        machine = asl.compile_definition(args.file)
    except InvalidDefinition as exc:
        for diag in exc.diagnostics:
            print(_format_diagnostic(args.file, diag), file=err)
        return 1
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=err)
        return 1
    g = asl.graph(machine)
    if args.format == "mermaid":
        out.write(asl.to_mermaid(g))
    elif args.format == "dot":
        out.write(asl.to_dot(g))
    else:
        out.write(json.dumps(asl.to_json(g), indent=2))
    out.write("\n")
    return 0


def _add_run(sub: Any) -> None:
    p = sub.add_parser("run", help="run one execution of a definition and print its output")
    p.add_argument("file", metavar="FILE", help=".json, .asl.json, .yaml or .yml file")
    p.add_argument("--input", metavar="JSON|@FILE",
                   help="execution input: JSON text, or @path of a JSON file (@- reads stdin); "
                        "default {}")
    p.add_argument("--name", help="execution name (default: a UUID)")
    p.add_argument("--clock", choices=("virtual", "system"), default="virtual",
                   help="virtual (default: waits take no time) or system (real time)")
    p.add_argument("--json", action="store_true", dest="as_json",
                   help='print {"execution": <DescribeExecution>, "history": {"events": [...]}}')
    p.add_argument("--mock-config", metavar="FILE",
                   help=f"a Step Functions Local mock file (default: ${ENV_VAR})")
    p.add_argument("--test-case", metavar="NAME", help="the mock file's test case to run")
    p.add_argument("--state-machine", metavar="NAME",
                   help="the mock file's state machine (default: the file's name, or the only one)")
    p.set_defaults(handler=_cmd_run)


class _BadInput(Exception):
    """The ``--input`` value cannot be used (exit status 2)."""


def _read_input(spec: str | None) -> str | None:
    """The input as JSON text (checked), from ``--input JSON``, ``@file`` or ``@-``."""
    if spec is None:
        return None
    text = _read_input_file(spec[1:]) if spec.startswith("@") else spec
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadInput(f"the input is not valid JSON: {exc}") from None
    return text


def _read_input_file(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _BadInput(f"cannot read the input file {path}: {exc.strerror or exc}") from None


def _mocked(args: argparse.Namespace) -> Registry | None:
    """The integrations of ``--test-case`` (None without one)."""
    path = args.mock_config or os.environ.get(ENV_VAR)
    if args.test_case is None:
        if args.mock_config is not None:
            raise _BadInput("--mock-config needs --test-case NAME")
        return None
    if not path:
        raise _BadInput(f"--test-case needs --mock-config FILE (or {ENV_VAR})")
    config = load_mock_config(path)
    machine = args.state_machine or _mocked_machine(config, args.file)
    return Registry(mocks=config.with_default(machine, args.test_case))


def _mocked_machine(config: MockConfig, file: str) -> str:
    """The definition file's name without its suffix, or the mock file's only state machine."""
    name = Path(file).name
    for suffix in (".asl.json", ".asl.yaml", ".asl.yml", ".json", ".yaml", ".yml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name not in config.machines and len(config.machines) == 1:
        return next(iter(config.machines))
    return name


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        result = run(asl.load(args.file), _read_input(args.input), clock=args.clock,
                     name=args.name, integrations=_mocked(args))
    except InvalidDefinition as exc:
        for diag in exc.diagnostics:
            print(_format_diagnostic(args.file, diag), file=err)
        return 2
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=err)
        return 2
    except (_BadInput, MockConfigError) as exc:
        print(f"sfnlocal run: {exc}", file=err)
        return 2
    except ServiceError as exc:
        print(f"sfnlocal run: {exc.code}: {exc.message}", file=err)
        return 2
    _print_result(result, args.as_json, out, err)
    return 0 if result.succeeded else 1


def _print_result(result: RunResult, as_json: bool, out: TextIO, err: TextIO) -> None:
    if as_json:
        document = {"execution": result.execution, "history": {"events": result.history}}
        print(json.dumps(document, indent=2, ensure_ascii=False, default=_iso), file=out)
    elif result.succeeded:
        print(result.execution["output"], file=out)
    else:
        error = result.error or result.status
        print(f"{error}: {result.cause}" if result.cause else error, file=err)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _add_serve(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the Step Functions endpoint and its web page")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8083, help="TCP port (default 8083; 0 = any free)")
    p.add_argument("--clock", choices=("system", "virtual"), default="system",
                   help="system (default: real time) or virtual (waits take no time)")
    p.add_argument("--definitions", metavar="DIR", type=Path,
                   help="register every .json/.yaml definition of DIR (named by file name)")
    p.add_argument("--no-examples", action="store_false", dest="examples",
                   help="do not register the bundled example state machine 'hello'")
    p.add_argument("--region", default=None,
                   help="serve every request in this region (default: the region each request "
                        "is signed for, us-east-1 when unsigned)")
    p.add_argument("--config", metavar="FILE", type=Path,
                   help="a YAML/JSON config file of state machines, functions, queues, activities "
                        "and mocks (docs/config.md); SIGHUP or POST /admin/reload reloads it")
    p.add_argument("--quiet", action="store_true",
                   help="no line per request (warnings and errors only): ~20%% less CPU per request")
    p.set_defaults(handler=_cmd_serve)


def _cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sfnlocal.api.serve import ServeOptions, serve  # aiohttp only when serving

    if args.definitions is not None and not args.definitions.is_dir():
        print(f"sfnlocal serve: {args.definitions} is not a directory", file=err)
        return 1
    mock_file = os.environ.get(ENV_VAR)
    options = ServeOptions(host=args.host, port=args.port, clock=args.clock,
                           definitions_dir=args.definitions, examples=args.examples,
                           region=args.region, config=args.config,
                           mock_config=Path(mock_file) if mock_file else None)
    _log_to(err, logging.WARNING if args.quiet else logging.INFO)

    def ready(server: Any, loaded: list[str]) -> None:
        names = ", ".join(loaded) or "none"
        print(f"sfnlocal serve: listening on {server.url} (state machines: {names}; "
              "Ctrl-C stops)", file=out, flush=True)

    try:
        asyncio.run(serve(options, on_ready=ready))
    except OSError as exc:
        print(f"sfnlocal serve: {_bind_problem(args.host, args.port, exc)}", file=err)
        return 1
    except (ConfigError, MockConfigError) as exc:
        print(f"sfnlocal serve: {exc}", file=err)
        return 2
    print("sfnlocal serve: stopped", file=out, flush=True)
    return 0


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {host}:{port}: the port is already in use (choose another: --port)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def _log_to(stream: TextIO, level: int) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("sfnlocal.api")
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(out or sys.stdout)
        return 0
    status: int = args.handler(args, out or sys.stdout, err or sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
