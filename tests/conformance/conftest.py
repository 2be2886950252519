"""Shared helpers of the conformance tests: find ``../shared/conformance``, load its cases, keep a
scoreboard that is printed at the end of the run.

Usage in a test module::

    @pytest.mark.conformance("execution")           # or ("execution", folders=("cases-s3",))
    def test_something(case, scoreboard):
        ok = ...
        scoreboard.record("definitions", "accepted", ok)
        assert ok

``case`` is one case file (a dict; ``case["file"]`` is its file name). When the conformance folder
is absent (set ``SFNLOCAL_CONFORMANCE`` to point elsewhere) the test is collected once and skipped.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE_DIR = Path(
    os.environ.get("SFNLOCAL_CONFORMANCE", REPO_ROOT.parent / "shared" / "conformance")
)
ABSENT = f"conformance cases not found at {CONFORMANCE_DIR}"


@cache
def _folder_cases(folder: str) -> tuple[dict[str, Any], ...]:
    found = []
    for path in sorted((CONFORMANCE_DIR / folder).glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        case.setdefault("file", path.name)
        found.append(case)
    return tuple(found)


def load_cases(
    kind: str | None = None, folders: tuple[str, ...] = ("cases",)
) -> list[dict[str, Any]]:
    """The cases of ``kind`` (all kinds when None) in ``folders`` (``cases``, ``cases-s3``).

    Returns ``[]`` when the conformance folder is absent.
    """
    return [
        case
        for folder in folders
        for case in _folder_cases(folder)
        if kind is None or case.get("kind") == kind
    ]


def case_id(case: dict[str, Any]) -> str:
    """A short test id for a case: its file name without ``.json``."""
    return str(case["file"]).removesuffix(".json")


class Scoreboard:
    """Pass counts per group and metric, e.g. ``definitions``/``rejected`` 63 of 63."""

    def __init__(self) -> None:
        self.tallies: dict[str, dict[str, list[int]]] = {}

    def record(self, group: str, metric: str, ok: bool) -> None:
        """Count one outcome."""
        tally = self.tallies.setdefault(group, {}).setdefault(metric, [0, 0])
        tally[0] += int(ok)
        tally[1] += 1

    def lines(self) -> list[str]:
        """One line per group: ``conformance <group>: metric ok/total, ...``."""
        return [
            f"conformance {group}: "
            + ", ".join(f"{metric} {ok}/{total}" for metric, (ok, total) in metrics.items())
            for group, metrics in self.tallies.items()
        ]


SCOREBOARD = Scoreboard()


@pytest.fixture
def scoreboard() -> Scoreboard:
    """The run's scoreboard."""
    return SCOREBOARD


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "conformance(kind, folders=('cases',)): run the test once per conformance case of that "
        "kind (argument 'case')",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("conformance")
    if marker is None or "case" not in metafunc.fixturenames:
        return
    cases = load_cases(*marker.args, **marker.kwargs)
    if not cases:
        metafunc.parametrize("case", [pytest.param(None, marks=pytest.mark.skip(reason=ABSENT))])
        return
    metafunc.parametrize("case", cases, ids=[case_id(c) for c in cases])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = SCOREBOARD.lines()
    if lines:
        terminalreporter.write_sep("-", "conformance scoreboard")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the shared conformance server, if a test started it."""
    import sys

    runner = sys.modules.get("server_runner")
    if runner is not None:
        runner.close_shared()
