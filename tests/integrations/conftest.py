"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sfnlocal.integrations import Registry


@pytest.fixture
async def registry() -> AsyncIterator[Registry]:
    """A fresh registry whose isolated Lambda workers stop after the test."""
    registry = Registry()
    yield registry
    await registry.lambdas.aclose()
