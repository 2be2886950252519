"""Loading ASL definitions from dicts, JSON text, JSON files and YAML files.

Bad JSON is reported the way AWS reports it: one ``INVALID_JSON_DESCRIPTION`` diagnostic whose message
follows the Jackson parser that AWS uses (``Unexpected character ... at [Source: ...; line: L, column: C]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sfnlocal.asl.diagnostics import INVALID_JSON_DESCRIPTION, Diagnostic
from sfnlocal.errors import InvalidDefinition

__all__ = ["jackson_message", "load", "parse_definition", "read_file"]

_SOURCE_EXCERPT = 500


def _char_description(text: str, pos: int) -> str:
    if pos >= len(text):
        return "end-of-input"
    ch = text[pos]
    return f"'{ch}' (code {ord(ch)})"


def jackson_message(err: json.JSONDecodeError, text: str) -> str:
    """Reword a Python JSON error in the vocabulary of Jackson (AWS's parser), keeping line and column."""
    found = _char_description(text, err.pos)
    msg = err.msg
    if err.pos >= len(text):
        reason = "Unexpected end-of-input: expected close marker or value"
    elif msg.startswith("Expecting property name"):
        reason = f"Unexpected character ({found}): was expecting double-quote to start field name"
    elif msg.startswith("Expecting ':'"):
        reason = f"Unexpected character ({found}): was expecting a colon to separate field name and value"
    elif msg.startswith("Expecting ',' delimiter"):
        reason = f"Unexpected character ({found}): was expecting comma to separate entries"
    elif msg.startswith("Extra data"):
        reason = f"Unexpected character ({found}): expected end-of-input after the root value"
    elif msg.startswith("Invalid control character"):
        reason = f"Illegal unquoted character ({found}): has to be escaped using backslash"
    else:
        reason = (
            f"Unexpected character ({found}): expected a valid value (JSON String, Number, Array, "
            "Object or token 'null', 'true' or 'false')"
        )
    excerpt = text[:_SOURCE_EXCERPT]
    return f'{reason}\n at [Source: (String)"{excerpt}"; line: {err.lineno}, column: {err.colno}]'


def parse_definition(text: str) -> Any:
    """Parse definition JSON text; raise ``InvalidDefinition`` (INVALID_JSON_DESCRIPTION) if not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        diag = Diagnostic(INVALID_JSON_DESCRIPTION, jackson_message(err, text))
        raise InvalidDefinition([diag]) from None


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def read_file(path: str | os.PathLike[str]) -> Any:
    """Read a ``.json``/``.asl.json`` (JSON) or ``.yaml``/``.yml``/``.asl.yaml`` (YAML) definition file."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    if not _is_yaml(file):
        return parse_definition(text)
    import yaml  # imported on first use: YAML definitions are the rarer kind

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        diag = Diagnostic(INVALID_JSON_DESCRIPTION, f"Invalid YAML: {problem}{where}")
        raise InvalidDefinition([diag]) from None


def load(source: Mapping[str, Any] | str | os.PathLike[str]) -> Any:
    """Load a definition from a dict, JSON text, or a path to a JSON/YAML file.

    A ``str`` naming an existing file is read from that file; any other ``str`` is parsed as JSON
    text. The result is plain data (it is not validated here: see ``sfnlocal.asl.validate``).

    Raises:
        InvalidDefinition: the text is not valid JSON/YAML (``INVALID_JSON_DESCRIPTION``).
        FileNotFoundError: a path ending in .json/.yaml/.yml that does not exist.
    """
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, str) and not _looks_like_file(source):
        return parse_definition(source)
    return read_file(source)


def _looks_like_file(text: str) -> bool:
    if text.lstrip()[:1] in ("{", "[") or "\n" in text:
        return False
    return os.path.isfile(text) or text.endswith((".json", ".yaml", ".yml"))
