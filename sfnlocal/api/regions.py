"""One engine per AWS region: a request is served by the engine of the region it is signed for.

AWS resources are regional: a state machine created through a client of ``eu-west-1`` has an
``arn:aws:states:eu-west-1:...`` ARN and is invisible to a client of ``us-east-1``. The server
emulates that: the region of a request is its SigV4 credential scope
(``Authorization: ... Credential=<key>/<date>/<region>/<service>/aws4_request``), and each region
gets its own ``Engine`` (state machines, executions, activities, Lambda functions, queues), made on
the first request for it. They share the server's clock and settings (account, seed...) and the
mock file; integrations registered in code stay with the server's own engine.

A server started with a pinned region (``sfnlocal serve --region R``, or a config file naming one)
serves every request from that one engine whatever the request's region, like Step Functions Local.
A request with no credential scope, or one naming something that is not a region, is served by the
server's own engine.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import Any

from aiohttp import web

from sfnlocal.api.ui import ENGINE_KEY
from sfnlocal.engine.engine import Engine
from sfnlocal.integrations.base import Registry

__all__ = ["MAX_REGIONS", "REGIONS_KEY", "Regions", "engine_for", "region_of"]

logger = logging.getLogger("sfnlocal.api")

MAX_REGIONS = 32
"""The most regions one server serves; requests for more go to the server's own region."""

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/,\s]+)/")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def region_of(authorization: str | None) -> str | None:
    """The region of a SigV4 ``Authorization`` header's credential scope (None if none or invalid)."""
    match = _SCOPE.search(authorization or "")
    if match is None:
        return None
    region = match.group("region")
    return region if _REGION.match(region) else None


class Regions:
    """The engines of one server, by region.

    Args:
        engine: the server's own engine (already entered); its region is the default one.
        pinned: serve every request from ``engine`` whatever its region.
    """

    def __init__(self, engine: Engine, *, pinned: bool = False) -> None:
        self.default = engine
        self.pinned = pinned
        self._engines: dict[str, Engine] = {engine.settings.region: engine}
        self._hosts: list[asyncio.Task[Any]] = []
        self._closing = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def engines(self) -> list[Engine]:
        """Every engine made so far, the server's own first."""
        return list(self._engines.values())

    async def engine(self, region: str | None) -> Engine:
        """The engine of ``region`` (made on first use; the default one for None or when pinned)."""
        if region is None or self.pinned:
            return self.default
        engine = self._engines.get(region)
        if engine is not None:
            return engine
        if len(self._engines) >= MAX_REGIONS:
            return self.default
        return await self._add(region)

    async def _add(self, region: str) -> Engine:
        async with self._lock:  # two first requests of a region make one engine
            existing = self._engines.get(region)
            if existing is not None:
                return existing
            base = self.default
            registry = Registry(mocks=base.integrations.mocks,
                                load_plugins=base.integrations.load_plugins)
            engine = Engine(clock=base.clock, settings=replace(base.settings, region=region),
                            integrations=registry)
            entered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._hosts.append(base.spawn(self._host(engine, entered), f"sfnlocal-region:{region}"))
            await entered
            self._engines[region] = engine
            return engine

    async def _host(self, engine: Engine, entered: asyncio.Future[None]) -> None:
        """Hold ``engine`` open (a task of the server's engine) until ``aclose``."""
        try:
            async with engine:
                entered.set_result(None)
                await self._closing.wait()
        except Exception as exc:  # a failing regional engine must not take the server's down
            if entered.done():
                logger.exception("the engine of %s failed", engine.settings.region)
            else:
                entered.set_exception(exc)
        finally:
            if not entered.done():  # cancelled before it was entered: the request gives up
                entered.cancel()

    async def aclose(self) -> None:
        """Leave the engines this object made (not the server's own) and wait until they have."""
        self._closing.set()
        if self._hosts:
            await asyncio.wait(self._hosts)
        self._hosts.clear()
        self._engines = {self.default.settings.region: self.default}


REGIONS_KEY = web.AppKey("regions", Regions)


async def engine_for(request: web.Request) -> Engine:
    """The engine serving ``request``: its region's (see the module docstring)."""
    regions = request.app.get(REGIONS_KEY)
    if regions is None:
        return request.app[ENGINE_KEY]
    return await regions.engine(region_of(request.headers.get("Authorization")))
