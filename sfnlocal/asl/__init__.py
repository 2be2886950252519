"""The definition layer: load ASL, validate it as AWS does, compile it, graph it.

Typical use::

    from sfnlocal import asl

    definition = asl.load("definitions/hello.asl.json")    # dict, JSON text, .json or .yaml file
    problems = asl.validate(definition)                     # [] or Diagnostics like AWS's
    machine = asl.compile_definition(definition)            # frozen model; raises InvalidDefinition
    print(asl.to_mermaid(asl.graph(machine)))
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from sfnlocal.asl.compiler import compile_machine
from sfnlocal.asl.diagnostics import Diagnostic
from sfnlocal.asl.export import to_dot, to_json, to_mermaid
from sfnlocal.asl.graph import graph
from sfnlocal.asl.loader import load
from sfnlocal.asl.model import StateMachine
from sfnlocal.asl.validate import check, validate

__all__ = [
    "Diagnostic",
    "StateMachine",
    "check",
    "compile_definition",
    "graph",
    "load",
    "to_dot",
    "to_json",
    "to_mermaid",
    "validate",
]


def compile_definition(
    source: Mapping[str, Any] | str | os.PathLike[str],
    type: Literal["STANDARD", "EXPRESS"] = "STANDARD",
) -> StateMachine:
    """Load, validate and compile a definition into a frozen ``StateMachine``.

    Args:
        source: a dict, JSON text, or the path of a JSON/YAML file.
        type: the state machine type; Express machines reject ``.sync``, ``.waitForTaskToken`` and
            activities.

    Raises:
        InvalidDefinition: the definition is not valid JSON or breaks a rule AWS enforces; the error
            carries the diagnostics and AWS's message.
    """
    definition = load(source)
    check(definition, type)
    return compile_machine(definition)
