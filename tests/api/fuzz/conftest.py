"""Fixtures of the fuzz tests: one server per test module with its guards, and the decoys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fuzz_shapes import World, serve_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield from serve_world()


@pytest.fixture(autouse=True)
def _decoys(world: World) -> None:
    """The decoys an earlier test deleted are made again (each test starts with them all)."""
    world.restore_decoys()
