"""Fixtures of the engine tests: an engine on an autojumping virtual clock, and a frozen one."""

from __future__ import annotations

import pytest

from sfnlocal.engine import Engine, VirtualClock


@pytest.fixture
async def engine():
    async with Engine(clock=VirtualClock()) as eng:
        yield eng


@pytest.fixture
async def frozen():
    """An engine whose clock moves only by hand: executions stay RUNNING where they wait."""
    async with Engine(clock=VirtualClock(autojump=False)) as eng:
        yield eng
