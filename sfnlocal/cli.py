"""The ``sfnlocal`` command.

Sub-commands:
    validate FILE...        print ``file: location: CODE message`` per diagnostic; exit 1 on errors
    graph FILE --format F   print the state graph as Mermaid, Graphviz DOT or JSON
    run FILE [--input JSON|@file] [--name N] [--clock virtual|system] [--json]
                            run one execution; print its output (exit 0), or ``error: cause`` on
                            stderr (exit 1); ``--json`` prints ``{"execution": <DescribeExecution>,
                            "history": {"events": [...]}}`` instead. Exit 2 when it cannot start
                            (unreadable file, invalid definition, input that is not JSON).

``asyncio.run`` is used only at the edge (``sfnlocal.run``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sfnlocal import __version__, asl
from sfnlocal.asl.diagnostics import Diagnostic
from sfnlocal.errors import InvalidDefinition, ServiceError
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


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        result = run(asl.load(args.file), _read_input(args.input), clock=args.clock,
                     name=args.name)
    except InvalidDefinition as exc:
        for diag in exc.diagnostics:
            print(_format_diagnostic(args.file, diag), file=err)
        return 2
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=err)
        return 2
    except _BadInput as exc:
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
