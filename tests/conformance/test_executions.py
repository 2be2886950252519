"""Every pure execution recorded against AWS must be reproduced in full, JSONPath and JSONata.

One test per case (``../shared/conformance/cases``, kind ``execution``, category ``pure``); the
JSONata cases (``jsonata`` in their features) are a second parametrized set with their own floor.
A case passes when ``compare.compare_case`` finds no difference at the ``full`` level:
outcome, every history event with its details, and the DescribeExecution / StartSyncExecution
response when the recording has one.

Cases the engine cannot reproduce yet are listed in ``KNOWN_FAILURES`` with the diagnosis and
its symptoms (regexes): the test then asserts that every difference the case shows is one of
them, so a new kind of difference is noticed, and warns when the case has started to match (then
remove the entry). Cases that need an API or a state type the engine does not have yet are
skipped by the runner; the scoreboard counts them as not matching.

``test_scoreboard`` runs all cases again (well under a second), collects the same cases and the
integration categories through the HTTP server (``server_runner``: run once per session, shared
with ``test_server_conformance``), rewrites ``docs/conformance.md`` and prints the scoreboard lines
at the end of the session; it requires the server's scores to equal the engine's.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import pytest
import scoreboard
from runner import FULL, CaseResult, execution_cases, jsonata_cases, run_case


@dataclass(frozen=True)
class Known:
    """A case that does not match AWS yet.

    Attributes:
        reason: the diagnosis (what differs, and where the fix belongs).
        symptoms: regexes; every difference the case shows must match one of them (a new kind of
            difference fails the test, a fixed one does not).
    """

    reason: str
    symptoms: tuple[str, ...]


_V2 = "tests/aws/services/stepfunctions/v2/"
_SCENARIOS = _V2 + "scenarios/test_base_scenarios.py::TestBaseScenarios::"

# Distributed Map: recordings before November 2024 have MapStateExited point at MapRunSucceeded;
# later ones (and map_distributed.py) at MapRunStarted. AWS changed; both cannot match at once.
_MAP_RUN = Known(
    "recorded before Nov 2024, when MapStateExited.previousEventId was the MapRunSucceeded event; "
    "AWS's later recordings (4 cases) and map_distributed.py point at MapRunStarted",
    (r"events\[\d+\]\.previousEventId: \d+ != expected \d+",),
)

KNOWN_FAILURES: dict[str, Known] = {
    **{
        _SCENARIOS + name: _MAP_RUN
        for name in (
            "test_map_state_config_distributed_item_selector",
            "test_map_state_config_distributed_parameters",
            "test_map_state_config_distributed_reentrant",
            "test_map_state_config_inline_item_selector",
            "test_map_state_legacy_config_distributed",
            "test_map_state_legacy_config_distributed_item_selector",
            "test_map_state_legacy_config_distributed_parameters",
            "test_map_state_tolerated_failure_values[count_literal]",
            "test_map_state_tolerated_failure_values[percentage_literal]",
        )
    },
}
"""Case id → why it does not match yet. Keep it short: every entry is a bug with an owner."""

# A guard against regressions of the whole suite: raise it when the score goes up.
MIN_FULL_MATCHES = 480
MIN_JSONATA_FULL_MATCHES = 79

CASES = execution_cases()
JSONATA_CASES = jsonata_cases()
pytestmark = pytest.mark.skipif(
    not CASES, reason="conformance cases not found (../shared/conformance is absent)"
)


def _short_id(case: dict[str, Any]) -> str:
    """The file name without ``.json``, like the other conformance tests' ids."""
    return str(case["file"]).removesuffix(".json")


def _check_known(result: CaseResult, known: Known) -> None:
    if result.matches(FULL):
        warnings.warn(
            f"{result.id} now matches AWS: remove it from KNOWN_FAILURES", UserWarning, stacklevel=2
        )
        return
    assert result.crash is None, result.crash
    unexplained = [
        diff for diff in result.diffs[FULL]
        if not any(re.search(symptom, diff) for symptom in known.symptoms)
    ]
    assert not unexplained, "differences beyond the known failure:\n" + "\n".join(unexplained)


@pytest.mark.parametrize("case", CASES, ids=[_short_id(c) for c in CASES])
async def test_execution_matches_aws(case: dict[str, Any]) -> None:
    result = await run_case(case)
    if result.skipped is not None:
        pytest.skip(result.skipped)
    known = KNOWN_FAILURES.get(result.id)
    if known is not None:
        _check_known(result, known)
        return
    assert result.crash is None, result.crash
    assert result.matches(FULL), "\n".join(result.diffs[FULL])


@pytest.mark.parametrize("case", JSONATA_CASES, ids=[_short_id(c) for c in JSONATA_CASES])
async def test_jsonata_execution_matches_aws(case: dict[str, Any]) -> None:
    await test_execution_matches_aws(case)


def test_known_failures_name_existing_cases() -> None:
    ids = {str(case["id"]) for case in CASES + JSONATA_CASES}
    stale = sorted(set(KNOWN_FAILURES) - ids)
    assert not stale, f"KNOWN_FAILURES lists cases that do not exist: {stale}"


_PLUGIN_NAME = "sfnlocal-conformance-scoreboard"


class _SummaryLine:
    """A late-registered plugin that prints the scoreboard line in pytest's terminal summary.

    ``trylast`` puts it after the conftest's "conformance scoreboard" section (definitions).
    """

    def __init__(self, line: str) -> None:
        self.line = line

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(self.line)


async def test_scoreboard(request: pytest.FixtureRequest) -> None:
    results = await scoreboard.run_all()
    jsonata = await scoreboard.run_all_jsonata()
    server = await scoreboard.run_comparison(results, jsonata)
    definitions = scoreboard.definition_scores()
    scoreboard.write(results, {key: known.reason for key, known in KNOWN_FAILURES.items()},
                     jsonata=jsonata, server=server, definitions=definitions)
    line = scoreboard.summary_line(results) + "\n" + scoreboard.summary_line(jsonata, "JSONata")
    line += "\nconformance through the server (full, engine / server): " + ", ".join(
        f"{row.label} {scoreboard.Tally(row.engine).ratio(FULL)} / "
        f"{scoreboard.Tally(row.server).ratio(FULL)}" for row in server)
    plugins = request.config.pluginmanager
    if not plugins.has_plugin(_PLUGIN_NAME):
        plugins.register(_SummaryLine(line), _PLUGIN_NAME)
    matched = scoreboard.Tally(results).matched[FULL]
    assert matched >= MIN_FULL_MATCHES, line
    assert scoreboard.Tally(jsonata).matched[FULL] >= MIN_JSONATA_FULL_MATCHES, line
    # The server must score exactly as the engine, in every category, at every level.
    assert [diff for row in server for diff in row.differences()] == [], line
    assert all(engine == server for engine, server, _ in definitions.values()), definitions
