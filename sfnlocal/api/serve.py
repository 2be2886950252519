"""``sfnlocal serve``: run the server until SIGINT or SIGTERM.

At start the server registers the bundled example (``definitions/hello.asl.json`` as ``hello``,
unless ``examples`` is off) and every definition of ``definitions_dir`` (named by file name:
``orders.asl.json`` becomes ``orders``). On a signal it stops listening, lets in-flight requests
finish, and leaves the engine (executions still running stay RUNNING, as in a stopped process).

With ``config`` (``--config FILE``, see ``sfnlocal.config``) it applies that file at start and again
on SIGHUP or ``POST /admin/reload``; a broken file is refused whole and the old config stays. With
``mock_config`` (the ``SFN_MOCK_CONFIG`` environment variable) it loads Step Functions Local mocks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sfnlocal import asl
from sfnlocal.api.server import DEFAULT_REGION, Server
from sfnlocal.config import Config, ConfigError, ConfigReloader, load_config
from sfnlocal.engine.clock import Clock, SystemClock, VirtualClock
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.settings import EngineSettings
from sfnlocal.errors import InvalidDefinition, ServiceError
from sfnlocal.integrations.mock import load_mock_config

__all__ = ["EXAMPLE", "ServeOptions", "definition_files", "load_definitions", "serve"]

logger = logging.getLogger("sfnlocal.api")

EXAMPLE = Path(__file__).resolve().parents[2] / "definitions" / "hello.asl.json"
"""The bundled example (present in a clone or an editable install)."""

_SUFFIXES = (".asl.json", ".asl.yaml", ".asl.yml", ".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``sfnlocal serve`` was asked for.

    Attributes:
        host / port: where to listen (port 0 picks a free port).
        clock: ``system`` (real time) or ``virtual`` (waits take no time).
        definitions_dir: a directory of definitions to register at start.
        examples: register the bundled example ``hello``.
        region: pin every request to this region (the config file's, when it names one); None:
            each request is served in the region it is signed for (``us-east-1`` by default).
        config: the config file (``sfnlocal.config``), reloadable; None: none.
        mock_config: a Step Functions Local mock file (``SFN_MOCK_CONFIG``); None: none.
    """

    host: str = "127.0.0.1"
    port: int = 8083
    clock: str = "system"
    definitions_dir: Path | None = None
    examples: bool = True
    region: str | None = None
    config: Path | None = None
    mock_config: Path | None = None


def definition_files(options: ServeOptions) -> dict[str, Path]:
    """The definitions to register, by state machine name."""
    files: dict[str, Path] = {}
    if options.examples and EXAMPLE.is_file():
        files["hello"] = EXAMPLE
    if options.definitions_dir is not None:
        for path in sorted(options.definitions_dir.iterdir()):
            name = _machine_name(path)
            if name is not None and path.is_file():
                files[name] = path
    return files


def _machine_name(path: Path) -> str | None:
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return path.name[: -len(suffix)]
    return None


async def load_definitions(engine: Engine, files: dict[str, Path]) -> list[str]:
    """Register each definition; return the names registered (failures are logged, skipped)."""
    loaded = []
    for name, path in files.items():
        try:
            await engine.create_state_machine(name, asl.load(str(path)))
        except (InvalidDefinition, ServiceError, OSError) as err:
            logger.warning("skipped %s: %s", path, err)
            continue
        loaded.append(name)
    return loaded


def _clock(kind: str) -> Clock:
    return VirtualClock() if kind == "virtual" else SystemClock()


async def serve(
    options: ServeOptions, *, on_ready: Callable[[Server, list[str]], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop`` is set (SIGINT and SIGTERM set it).

    Args:
        options: where and how to serve.
        on_ready: called once listening, with the server and the registered state machines.
        stop: the event that ends serving (a new one when omitted).

    Raises:
        OSError: the address cannot be bound (``errno.EADDRINUSE``: the port is taken).
        ConfigError: the config file is broken.
        MockConfigError: the mock file is broken.
    """
    stop = stop if stop is not None else asyncio.Event()
    config = load_config(options.config) if options.config is not None else None
    async with Engine(clock=_clock(options.clock), settings=_settings(options, config)) as engine:
        if options.mock_config is not None:
            engine.integrations.mocks = load_mock_config(options.mock_config)
        loaded = await load_definitions(engine, definition_files(options))
        reloader = ConfigReloader(engine, options.config) if options.config is not None else None
        server = Server(engine, options.host, options.port, reloader=reloader,
                        pin_region=_pinned_region(options, config) is not None)
        if reloader is not None:
            report = await reloader.reload()
            loaded += [n for n in report.created.get("stateMachines", []) if n not in loaded]
        await server.start()
        with _StopOnSignals(stop):
            try:
                if on_ready is not None:
                    on_ready(server, loaded)
                await _wait_for_stop(stop, reloader)
            finally:
                logger.info("shutting down: finishing in-flight requests")
                await server.stop()


def _settings(options: ServeOptions, config: Config | None) -> EngineSettings:
    """The region (and account) of ``--region``, or of the config file when it names them."""
    region = _pinned_region(options, config) or DEFAULT_REGION
    account = config.account if config is not None and config.account else None
    return EngineSettings(region=region, account=account or EngineSettings().account)


def _pinned_region(options: ServeOptions, config: Config | None) -> str | None:
    """The one region the server serves (the config file's, else ``--region``), or None."""
    return config.region if config is not None and config.region else options.region


async def _wait_for_stop(stop: asyncio.Event, reloader: ConfigReloader | None) -> None:
    """Wait for ``stop``; meanwhile SIGHUP reloads the config file (when there is one)."""
    if reloader is None:
        await stop.wait()
        return
    hangup = asyncio.Event()
    with _ReloadOnHangup(hangup):
        async with asyncio.TaskGroup() as group:
            reloads = group.create_task(_reload_on(hangup, reloader))
            await stop.wait()
            reloads.cancel()


async def _reload_on(hangup: asyncio.Event, reloader: ConfigReloader) -> None:
    while True:
        await hangup.wait()
        hangup.clear()
        try:
            report = await reloader.reload()
        except ConfigError as err:
            logger.error("config reload refused (the old config stays): %s", err)
        except Exception:  # a reload must not take the server down
            logger.exception("config reload of %s failed", reloader.path)
        else:
            logger.info("config reloaded from %s: %s", reloader.path, json.dumps(report.to_json()))


class _StopOnSignals:
    """While active, SIGINT and SIGTERM set ``stop`` instead of interrupting the process."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop
        self._installed: list[signal.Signals] = []

    def __enter__(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._SIGNALS:
            try:
                loop.add_signal_handler(sig, self._stop.set)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread, or a platform without signal handlers
            self._installed.append(sig)

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)


class _ReloadOnHangup(_StopOnSignals):
    """While active, SIGHUP sets the event (where the platform has SIGHUP)."""

    _SIGNALS = tuple(sig for sig in (getattr(signal, "SIGHUP", None),) if sig is not None)
