"""JSONPath paths of ASL, compiled once.

Public API (stable; other modules code against it):

- ``compile_path(text) -> Path``: any JSONPath of ASL, ``$``-rooted (state input), ``$$``-rooted
  (context object) or ``$name``-rooted (workflow variable). Raises ``PathSyntaxError``.
- ``compile_reference_path(text) -> Path``: a Reference Path (singular: no ``@ , : ?``, no
  wildcards); raises ``PathSyntaxError`` otherwise.
- ``Path.evaluate(data, ctx) -> Any``: the value; raises ``PathNotFound`` when a definite path has
  no match (indefinite paths return a list of all matches, possibly empty).
- ``Path.assign(data, value) -> Any``: ResultPath semantics: a new document with ``value`` placed at
  the (reference) path inside ``data``, copying only the containers on the way; raises
  ``PathTypeError`` when it cannot be applied.
- ``IDENTITY``: the compiled ``$`` path (evaluate returns the input itself).

Two compiled forms, chosen at compile time:

- a definite path (``$``, ``$.a.b[0]``, ``$['a b'].c``, ``$$.Map.Item.Value``, ``$x.y``) becomes a
  tuple of keys and indexes walked with a plain loop: the hot path never touches jsonpath-ng;
- an indefinite path (wildcards, slices, filters, deep scan, unions) is parsed once by
  ``jsonpath_ng.ext`` and returns the list of its matches.

Misses are reported in the words of Jayway JsonPath (the library AWS runs), e.g.
``Invalid path '$.a.b' : Missing property in path $['a']``. The two forms in the checklist (§6.4,
``No results for path`` and ``Missing property in path``) are AWS's; the rarer ones (a property of
a non-object, an index into a non-array, an undefined variable, ResultPath's
``Unable to apply ReferencePath ...``) follow Jayway's source and have not been checked against AWS.

Exceptions::

    PathSyntaxError (ValueError)   not a path (definition time)
    PathNotFound (LookupError)     a definite path matched nothing (AWS: States.Runtime)
    PathTypeError (TypeError)      ResultPath cannot be applied (AWS: States.ResultPathMatchFailure)
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from typing import Any, Literal

from jsonpath_ng.ext.parser import parse as _jsonpath_ng_parse

from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsontext import compact_json, java_class_name

__all__ = [
    "IDENTITY",
    "Key",
    "Path",
    "PathNotFound",
    "PathSyntaxError",
    "PathTypeError",
    "compile_path",
    "compile_reference_path",
]

Key = str | int
"""One step of a definite path: an object key or an array index (negative counts from the end)."""

Root = Literal["input", "context", "variable"]

_JSON_PROVIDER = "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider"


class PathSyntaxError(ValueError):
    """A string that is not a valid JSONPath (or not a Reference Path where one is required)."""


class PathNotFound(LookupError):
    """A definite path matched nothing. ``message`` is AWS's wording of the miss.

    Args:
        path: the path text as written in the definition.
        message: the full explanation, e.g. ``Invalid path '$.x' : No results for path: $['x']``.
    """

    error = "States.Runtime"

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


class PathTypeError(TypeError):
    """``Path.assign`` cannot place a value: the input does not have the shape the path needs.

    Args:
        path: the ResultPath text.
        message: AWS's cause, ``Unable to apply ReferencePath <path> to input <json>``.
    """

    error = "States.ResultPathMatchFailure"

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


class Path:
    """A compiled path.

    Attributes:
        text: the path as written.
        root: ``input`` (``$``), ``context`` (``$$``) or ``variable`` (``$name``).
        variable: the variable name for ``variable`` paths, else None.
        is_reference: True for a definite (singular) path, usable as a Reference Path.
        segments: the keys and indexes of a definite path after its root (``()`` for ``$``), or None
            for an indefinite path.
    """

    __slots__ = ("is_reference", "root", "segments", "text", "variable")

    def __init__(
        self, text: str, root: Root, variable: str | None, segments: tuple[Key, ...] | None
    ) -> None:
        self.text = text
        self.root: Root = root
        self.variable = variable
        self.segments = segments
        self.is_reference = segments is not None

    def __repr__(self) -> str:
        return f"Path({self.text!r})"

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        """Evaluate against ``data`` (for ``$`` paths) or the context/variables in ``ctx``.

        Raises:
            PathNotFound: a definite path matched nothing (or names an undefined variable).
        """
        raise NotImplementedError

    def assign(self, data: Any, value: Any) -> Any:
        """Return ``data`` with ``value`` placed at this path (ResultPath), leaving ``data`` intact.

        Only the containers along the path are copied (shallowly); missing objects on the way are
        created; an existing field is overwritten. ``$`` returns ``value`` itself.

        Raises:
            PathTypeError: ``data`` cannot hold the path (e.g. a string or array with ``$.x``).
            PathSyntaxError: the path is not an input-rooted Reference Path.
        """
        if self.segments is None or self.root != "input":
            raise PathSyntaxError(f"The path '{self.text}' cannot be used to place a result")
        keys = self.segments
        if not keys:
            return value
        if len(keys) == 1 and data.__class__ is dict and keys[0].__class__ is str:
            out = data.copy()  # the common ResultPath `$.field`
            out[keys[0]] = value
            return out
        return _assign(data, keys, value, self.text)

    def _root_document(self, data: Any, ctx: EvalContext) -> Any:
        if self.root == "input":
            return data
        if self.root == "context":
            return ctx.context
        try:
            return ctx.variables[self.variable]  # type: ignore[index]
        except KeyError:
            message = f"Invalid path '{self.text}' : The variable '{self.variable}' is not defined"
            raise PathNotFound(self.text, message) from None


# -- compiled forms -----------------------------------------------------------------------------


class _Identity(Path):
    """``$``: the input itself."""

    __slots__ = ()

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        return data


class _Accessor(Path):
    """A definite path walked key by key with a plain loop (the hot path).

    This class walks ``$`` paths; the ``$$`` and ``$name`` subclasses only change where the walk
    starts.

    ``doc[key]`` raises for every miss except one: an index applied to a string picks a character.
    Only paths with an index can hit that, and only when they end on a string, so those results
    are re-walked with type checks.
    """

    __slots__ = ("_indexed", "_keys")

    def __init__(self, text: str, root: Root, variable: str | None, keys: tuple[Key, ...]) -> None:
        super().__init__(text, root, variable, keys)
        self._keys = keys
        self._indexed = any(isinstance(k, int) for k in keys)

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        doc = data
        try:
            for key in self._keys:
                doc = doc[key]
        except (LookupError, TypeError):
            raise self._miss(data) from None
        if self._indexed and doc.__class__ is str:
            return self._recheck(data)
        return doc

    def _miss(self, root: Any) -> PathNotFound:
        return PathNotFound(self.text, _miss_message(self.text, root, self._keys))

    def _recheck(self, root: Any) -> Any:
        try:
            return _walk_checked(root, self._keys)
        except (LookupError, TypeError):
            raise self._miss(root) from None


class _ContextAccessor(_Accessor):
    """A definite ``$$`` path."""

    __slots__ = ()

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        root: Any = ctx.context
        doc = root
        try:
            for key in self._keys:
                doc = doc[key]
        except (LookupError, TypeError):
            raise self._miss(root) from None
        if self._indexed and doc.__class__ is str:
            return self._recheck(root)
        return doc


class _VariableAccessor(_Accessor):
    """A definite ``$name`` path."""

    __slots__ = ()

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        root = doc = self._root_document(data, ctx)
        try:
            for key in self._keys:
                doc = doc[key]
        except (LookupError, TypeError):
            raise self._miss(root) from None
        if self._indexed and doc.__class__ is str:
            return self._recheck(root)
        return doc


class _QueryPath(Path):
    """An indefinite path evaluated by jsonpath-ng; the value is the list of all matches."""

    __slots__ = ("_expr",)

    def __init__(self, text: str, root: Root, variable: str | None, expr: Any) -> None:
        super().__init__(text, root, variable, None)
        self._expr = expr

    def evaluate(self, data: Any, ctx: EvalContext) -> Any:
        doc = self._root_document(data, ctx)
        return [match.value for match in self._expr.find(doc)]


def _walk_checked(doc: Any, keys: tuple[Key, ...]) -> Any:
    # An index must not pick a character out of a string.
    for key in keys:
        if isinstance(key, int) and not isinstance(doc, list):
            raise TypeError(key)
        doc = doc[key]
    return doc


# -- compilation ----------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[^.\[\]()'\"\s*?@,:]+")
_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_QUOTED = re.compile(r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]""")
_QUERY_BRACKET = re.compile(r"""\[\s*[-*?:'"\d]""")
_ESCAPE = re.compile(r"\\(.)")


def compile_path(text: str) -> Path:
    """Compile any ASL path (``$...``, ``$$...``, ``$name...``); identical texts share one Path.

    Raises:
        PathSyntaxError: ``text`` is not a path.
    """
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError(f"Invalid JSONPath: {text!r}")
    return _compile(text)


def compile_reference_path(text: str) -> Path:
    """Compile a Reference Path: a definite path (no wildcards, filters, slices, unions, ``..``).

    Raises:
        PathSyntaxError: ``text`` is not a path, or not a singular one.
    """
    path = compile_path(text)
    if not path.is_reference:
        raise PathSyntaxError(f"Invalid Reference Path: {text!r}")
    return path


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> Path:
    if text == "$":
        return IDENTITY
    root, variable, rest = _split_root(text)
    keys = _scan(rest, text)
    if keys is None:
        return _QueryPath(text, root, variable, _parse_query("$" + rest, text))
    accessor = {"input": _Accessor, "context": _ContextAccessor, "variable": _VariableAccessor}
    return accessor[root](text, root, variable, keys)


def _split_root(text: str) -> tuple[Root, str | None, str]:
    if text.startswith("$$"):
        return "context", None, text[2:]
    if text[1] in ".[":
        return "input", None, text[1:]
    match = _IDENT.match(text, 1)
    if match is None:
        raise PathSyntaxError(f"Invalid JSONPath: {text!r}")
    return "variable", match.group(), text[match.end() :]


def _scan(rest: str, text: str) -> tuple[Key, ...] | None:
    """The keys of a definite path, or None when it uses indefinite syntax."""
    keys: list[Key] = []
    pos = 0
    while pos < len(rest):
        step = _segment(rest, pos, text)
        if step is None:
            return None
        key, pos = step
        keys.append(key)
    return tuple(keys)


def _segment(rest: str, pos: int, text: str) -> tuple[Key, int] | None:
    if rest.startswith(("..", ".*"), pos):
        return None
    if rest[pos] == ".":
        if match := _NAME.match(rest, pos + 1):
            return match.group(), match.end()
    elif match := _INDEX.match(rest, pos):
        return int(match.group(1)), match.end()
    elif match := _QUOTED.match(rest, pos):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        return _ESCAPE.sub(r"\1", quoted), match.end()
    elif _QUERY_BRACKET.match(rest, pos):
        return None
    raise PathSyntaxError(f"Invalid JSONPath: {text!r}")


def _parse_query(query: str, text: str) -> Any:
    try:
        return _jsonpath_ng_parse(query)
    except Exception as exc:  # jsonpath-ng raises several unrelated exception types
        raise PathSyntaxError(f"Invalid JSONPath: {text!r} ({exc})") from None


# -- Jayway's wording of a miss -----------------------------------------------------------------


def _fragment(key: Key) -> str:
    return f"[{key}]" if isinstance(key, int) else f"['{key}']"


def _miss_message(text: str, doc: Any, keys: tuple[Key, ...]) -> str:
    return f"Invalid path '{text}' : {_jayway_miss(doc, keys)}"


def _jayway_miss(doc: Any, keys: tuple[Key, ...]) -> str:
    """Why walking ``keys`` through ``doc`` fails, in Jayway JsonPath's words."""
    no_results = "No results for path: $" + "".join(map(_fragment, keys))
    here = "$"
    for position, key in enumerate(keys):
        problem = _step_problem(doc, key, here)
        if problem is not None:
            return problem
        here += _fragment(key)
        if not _has(doc, key):
            leaf = position == len(keys) - 1
            return (
                no_results if leaf or isinstance(key, int) else f"Missing property in path {here}"
            )
        doc = doc[key]
    return no_results


def _step_problem(doc: Any, key: Key, here: str) -> str | None:
    """Jayway's complaint when ``doc`` is not the kind of container ``key`` applies to."""
    if isinstance(key, str):
        if isinstance(doc, Mapping):
            return None
        return (
            f"Expected to find an object with property ['{key}'] in path {here} but found "
            f"'{java_class_name(doc)}'. This is not a json object according to the JsonProvider: "
            f"'{_JSON_PROVIDER}'."
        )
    if doc is None:
        return f"The path {here} is null"
    if not isinstance(doc, list):
        shown = doc if isinstance(doc, str) else compact_json(doc)
        return f"Filter: [{key}] can only be applied to arrays. Current context is: {shown}"
    return None


def _has(doc: Any, key: Key) -> bool:
    if isinstance(key, int):
        return -len(doc) <= key < len(doc)
    return key in doc


# -- ResultPath ----------------------------------------------------------------------------------

_MISSING: Any = object()


def _assign(data: Any, keys: tuple[Key, ...], value: Any, text: str) -> Any:
    top = node = _writable(data, keys[0], data, text)
    for key, next_key in itertools.pairwise(keys):
        child = _writable(_child(node, key), next_key, data, text)
        node[key] = child
        node = child
    node[keys[-1]] = value
    return top


def _child(node: Any, key: Key) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    return node[key]


def _writable(container: Any, key: Key, data: Any, text: str) -> Any:
    """A shallow copy of ``container`` that ``key`` can be written into (new object if missing)."""
    if isinstance(key, str):
        if container.__class__ is dict:
            return container.copy()
        if container is _MISSING:
            return {}
        if isinstance(container, Mapping):
            return dict(container)
    elif isinstance(container, list) and -len(container) <= key < len(container):
        return list(container)
    message = f"Unable to apply ReferencePath {text} to input {compact_json(data)}"
    raise PathTypeError(text, message)


IDENTITY: Path = _Identity("$", "input", None, ())
"""The compiled ``$`` path (evaluate returns the input itself)."""
