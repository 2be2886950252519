"""Declaring local Lambda functions: in code (``FunctionConfig``) or in a YAML/JSON file.

A function's ``handler`` is AWS's ``module.function`` string or a Python callable. Its code is
found through ``code``:

- None: ``module`` is imported from the engine's own import path (an installed package, a test
  module);
- a directory: the code root (``LAMBDA_TASK_ROOT``), put first on the import path;
- a ``.py`` file: its directory is the code root; ``handler`` may then be just the function name;
- a ``.zip`` archive: extracted once per content (under the temp directory) and used as the root.

``mode`` is ``in-process`` (the handler is imported into the engine and called there: fast, for
tests) or ``isolated`` (a pool of worker subprocesses, see ``lambda_workers``). Environment
variables and the memory limit apply to isolated functions only (one process hosts every
in-process function). An isolated function's handler without a module part (``handler``) is
accepted, as Lambda accepts it, and fails at each invocation with the Python runtime's
``Runtime.MalformedHandlerName``.

A config file lists functions (paths are relative to the file)::

    functions:
      - name: greet
        handler: handler.handler
        code: functions/greet.zip
        runtime: python3.12
        timeout: 5            # seconds, 1-900 (default 3)
        memory: 256           # MB, 128-10240 (default 128)
        environment: {GREETING: hello}
        mode: isolated        # the default in a file; or in-process
        max_workers: 4        # concurrent invocations (default 8)
        description: greets   # shown by the Lambda API (GetFunction)

``load_functions(path, registry)`` registers them; the server's config file reuses
``parse_functions`` for its ``functions`` section. ``save_archive(data)`` stores a zip uploaded
through the Lambda API (content-addressed, under the temp directory) and returns its path.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import yaml

from sfnlocal.integrations.lambda_workers import WorkerPool, WorkerSpec

if TYPE_CHECKING:
    from sfnlocal.integrations.base import Registry

__all__ = [
    "FunctionConfig",
    "LambdaConfigError",
    "load_functions",
    "parse_functions",
    "read_functions",
    "save_archive",
]

MODES = ("in-process", "isolated")
_KEYS = {"name", "handler", "code", "runtime", "timeout", "memory", "environment", "mode",
         "max_workers", "inline", "description", "role"}


class LambdaConfigError(ValueError):
    """A function declaration that cannot be served (the message names the field)."""


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    """One local Lambda function.

    Attributes:
        name: the function name, ``name:qualifier`` or a (partial) function ARN.
        handler: ``module.function`` or a callable ``handler(event, context)``.
        code: a code directory, a ``.py`` file or a ``.zip`` archive (None: the import path).
        runtime: the runtime name (informational: the engine's Python runs the code).
        timeout: seconds, more than 0 and at most 900 (enforced in isolated mode).
        memory: MB, 128 to 10240 (an address-space limit in isolated mode).
        environment: environment variables (isolated mode).
        mode: ``in-process`` or ``isolated``.
        inline: in-process only: call a plain handler on the event loop instead of a thread.
        max_workers: isolated only: concurrent invocations (worker processes).
        description: the function's description (informational).
        role: the execution role ARN (informational; empty: a default one is shown).
    """

    name: str
    handler: str | Callable[..., Any]
    code: Path | None = None
    runtime: str = "python3.11"
    timeout: float = 3.0
    memory: int = 128
    environment: Mapping[str, str] = field(default_factory=dict)
    mode: str = "in-process"
    inline: bool = False
    max_workers: int = 8
    description: str = ""
    role: str = ""

    def __post_init__(self) -> None:
        _check(isinstance(self.name, str) and bool(self.name), "name", "a non-empty string")
        _check(callable(self.handler) or (isinstance(self.handler, str) and bool(self.handler)),
               "handler", "'module.function' or a callable")
        _check(_number(self.timeout) and 0 < self.timeout <= 900, "timeout",
               "a number of seconds greater than 0 and at most 900")
        _check(isinstance(self.memory, int) and 128 <= self.memory <= 10240, "memory",
               "an integer number of MB from 128 to 10240")
        _check(isinstance(self.environment, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.environment.items()),
            "environment", "a mapping of strings to strings")
        _check(self.mode in MODES, "mode", "'in-process' or 'isolated'")
        _check(isinstance(self.max_workers, int) and self.max_workers >= 1, "max_workers",
               "a positive integer")
        _check(isinstance(self.description, str), "description", "a string")
        _check(isinstance(self.role, str), "role", "a string")

    @property
    def isolated(self) -> bool:
        """True when the function runs in worker subprocesses."""
        return self.mode == "isolated"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(ok: bool, name: str, expected: str) -> None:
    if not ok:
        raise LambdaConfigError(f"Function field '{name}' must be {expected}.")


# -- where the code is -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Location:
    module: str
    function: str
    code_dir: str | None


def _locate(config: FunctionConfig) -> _Location:
    handler = config.handler
    if callable(handler):
        return _callable_location(handler)
    code = config.code
    if code is not None and code.suffix == ".py" and "." not in handler:
        return _Location(code.stem, handler, str(code.parent.resolve()))
    module, _, function = handler.rpartition(".")
    if not function or (not module and not config.isolated):
        raise LambdaConfigError(f"Handler '{handler}' must be 'module.function'.")
    if code is None:
        return _Location(module, function, None)
    if not code.exists():
        raise LambdaConfigError(f"Function code '{code}' does not exist.")
    if code.suffix == ".zip":
        return _Location(module, function, _extract(code))
    root = code.parent if code.is_file() else code
    return _Location(module, function, str(root.resolve()))


def _callable_location(handler: Callable[..., Any]) -> _Location:
    module = getattr(handler, "__module__", None) or ""
    qualname = getattr(handler, "__qualname__", "")
    found = getattr(sys.modules.get(module), qualname, None) if "." not in qualname else None
    if module == "__main__" or found is not handler:
        raise LambdaConfigError(
            f"Handler {handler!r} cannot run isolated: give 'module.function' for a top-level "
            "function of an importable module.")
    return _Location(module, qualname, None)


_EXTRACTED: dict[tuple[str, int, int], str] = {}


def _extract(archive: Path) -> str:
    """The directory holding ``archive``'s content (extracted once per content hash)."""
    stat = archive.stat()
    key = (str(archive.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _EXTRACTED:
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:24]
        target = _store() / digest
        if not target.exists():
            _unzip(archive, target)
        _EXTRACTED[key] = str(target)
    return _EXTRACTED[key]


def _store() -> Path:
    return Path(tempfile.gettempdir()) / "sfnlocal-lambda"


def save_archive(data: bytes) -> Path:
    """Store a zip archive by content (``<temp>/sfnlocal-lambda/zips/<sha256>.zip``); its path.

    Raises:
        LambdaConfigError: ``data`` is not a readable zip archive.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            broken = zipped.testzip()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise LambdaConfigError(f"Could not unzip uploaded file: {exc}") from exc
    if broken is not None:
        raise LambdaConfigError(f"Could not unzip uploaded file: '{broken}' is corrupt.")
    target = _store() / "zips" / f"{hashlib.sha256(data).hexdigest()}.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, staging = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(staging, target)
    _extract(target)  # now, so serving the function does not unzip on the event loop
    return target


def _unzip(archive: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(staging)
    except zipfile.BadZipFile as exc:
        raise LambdaConfigError(f"Function code '{archive}' is not a zip archive: {exc}") from exc
    try:
        os.replace(staging, target)
    except OSError:  # another process extracted the same content first
        shutil.rmtree(staging, ignore_errors=True)


# -- building the function -------------------------------------------------------------------------


def import_handler(config: FunctionConfig) -> Callable[..., Any]:
    """The handler callable of an in-process function (importing its module now).

    Raises:
        LambdaConfigError: the module cannot be imported or has no such function.
    """
    if callable(config.handler):
        return config.handler
    location = _locate(config)
    try:
        module = _import(location, config.name)
    except Exception as exc:
        raise LambdaConfigError(f"Unable to import module '{location.module}': {exc}") from exc
    handler = getattr(module, location.function, None)
    if not callable(handler):
        raise LambdaConfigError(
            f"Handler '{location.function}' missing on module '{location.module}'")
    return handler  # type: ignore[no-any-return]


def _import(location: _Location, function_name: str) -> ModuleType:
    if location.code_dir is None:
        return importlib.import_module(location.module)
    path = Path(location.code_dir, *location.module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    unique = f"sfnlocal_lambda.{function_name}.{location.module}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named '{location.module}'")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, location.code_dir)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(location.code_dir)
    return module


def _version(location: _Location) -> str:
    """The handler module's modification stamp (empty when it is not a plain file)."""
    if location.code_dir is None:
        return ""
    path = Path(location.code_dir, *location.module.split(".")).with_suffix(".py")
    try:
        stat = path.stat()
    except OSError:
        return ""
    return f"{stat.st_mtime_ns}:{stat.st_size}"


def worker_pool(config: FunctionConfig, name: str) -> WorkerPool:
    """The worker pool of an isolated function (the code location is checked now).

    Raises:
        LambdaConfigError: the handler or its code cannot be located.
    """

    def load_spec() -> WorkerSpec:
        location = _locate(config)
        # A handler without a module part fails in the worker, as in Lambda's Python runtime.
        handler = f"{location.module}.{location.function}" if location.module else config.handler
        return WorkerSpec(name, str(handler), location.code_dir,
                          config.memory, float(config.timeout), dict(config.environment),
                          config.runtime, _version(location))

    load_spec()
    return WorkerPool(load_spec, max_workers=config.max_workers)


# -- config files ---------------------------------------------------------------------------------


def parse_functions(
    data: Any, base_dir: Path | None = None, *, default_mode: str = "isolated"
) -> list[FunctionConfig]:
    """Function declarations from parsed config data (``{"functions": [...]}`` or the list).

    Args:
        data: the ``functions`` list (or a mapping of name to fields), or a mapping holding it.
        base_dir: the directory relative ``code`` paths start from (None: the working directory).
        default_mode: the mode of functions that do not name one.

    Raises:
        LambdaConfigError: a declaration is malformed (the message says which one and why).
    """
    if isinstance(data, Mapping) and "functions" in data:
        data = data["functions"]
    if isinstance(data, Mapping):
        data = [{"name": name, **(fields or {})} for name, fields in data.items()]
    if not isinstance(data, list):
        raise LambdaConfigError("'functions' must be a list of function declarations.")
    return [_declaration(item, index, base_dir, default_mode) for index, item in enumerate(data)]


def _declaration(item: Any, index: int, base_dir: Path | None, default_mode: str) -> FunctionConfig:
    where = f"functions[{index}]"
    if not isinstance(item, Mapping):
        raise LambdaConfigError(f"{where} must be a mapping.")
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise LambdaConfigError(f"{where} has unknown fields: {', '.join(map(str, unknown))}.")
    fields = dict(item)
    if fields.get("code") is not None:
        fields["code"] = (base_dir or Path.cwd()) / str(fields["code"])
    fields.setdefault("mode", default_mode)
    fields["environment"] = {str(k): str(v) for k, v in (fields.get("environment") or {}).items()}
    try:
        return FunctionConfig(**fields)
    except (LambdaConfigError, TypeError) as exc:
        raise LambdaConfigError(f"{where} ({fields.get('name')!r}): {exc}") from exc


def read_functions(path: str | Path, *, default_mode: str = "isolated") -> list[FunctionConfig]:
    """Function declarations from a YAML or JSON file.

    Raises:
        LambdaConfigError: the file cannot be parsed or a declaration is malformed.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise LambdaConfigError(f"Cannot parse {path}: {exc}") from exc
    return parse_functions(data, path.parent, default_mode=default_mode)


def load_functions(
    path: str | Path, registry: Registry, *, default_mode: str = "isolated"
) -> list[str]:
    """Register the functions declared in ``path`` with ``registry``; their names.

    Raises:
        LambdaConfigError: the file or a declaration is invalid, or a handler cannot be found.
    """
    configs = read_functions(path, default_mode=default_mode)
    for config in configs:
        registry.lambdas.add(config)
    return [config.name for config in configs]
