"""Every example in definitions/ is a valid state machine, for sfnlocal and for npm asl-validator.

The examples are hand-written to be valid on AWS (see definitions/README.md). Here each one is
loaded with ``sfnlocal.asl.load`` and must get no diagnostics from ``sfnlocal.asl.validate``, its
graph must have exactly one node per state, and its Mermaid rendering must name every state. The
state names are collected by this test itself, by walking the raw JSON/YAML (``States``, Parallel
``Branches``, Map ``ItemProcessor``/``Iterator``), independently of sfnlocal.

As an outside opinion, the same files are fed to the npm package ``asl-validator`` (pinned in
tests/asl_validator/package.json; install it with ``npm install --prefix tests/asl_validator``).
That test is skipped only when node is not installed at all; with node present and the package
missing it fails, so CI cannot skip it silently.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from sfnlocal import asl

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = ROOT / "definitions"
VALIDATOR_DIR = Path(__file__).resolve().parent / "asl_validator"
LOCAL_VALIDATOR = VALIDATOR_DIR / "node_modules" / ".bin" / "asl-validator"
INSTALL_HINT = "npm install --prefix tests/asl_validator"

JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")
EXAMPLES = sorted(
    p for p in DEFINITIONS.iterdir() if p.is_file() and p.suffix in JSON_SUFFIXES + YAML_SUFFIXES
)

# Complaints of asl-validator about features AWS accepts, per file: {file name: {complaint line}}.
# A complaint listed here is tolerated for that file only; any other complaint fails the test, and
# an entry that the validator no longer reports fails too (so the list cannot go stale). With
# asl-validator 4.0.0 every example passes as it is, so the list is empty. Never drop a feature
# from an example to please the validator: if it rejects something AWS accepts (newer JSONata or
# distributed-Map fields, say), add the exact complaint here with a comment saying why AWS is right.
ASL_VALIDATOR_KNOWN_FALSE_REJECTIONS: dict[str, frozenset[str]] = {}

STATE_TYPES = {"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}


def _read_raw(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix in YAML_SUFFIXES else json.loads(text)


def _walk_states(block: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every (name, state) of a block, nested Parallel branches and Map processors included."""
    for name, state in block["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _walk_states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _walk_states(state[key])


def _state_names(definition: Mapping[str, Any]) -> list[str]:
    return [name for name, _ in _walk_states(definition)]


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# ---------------------------------------------------------------------------------------------
# The set of examples itself


def test_examples_are_the_promised_set():
    names = {p.name for p in EXAMPLES}
    others = {p.name for p in DEFINITIONS.iterdir() if p.is_file()} - names - {"README.md"}
    assert not others, f"files in definitions/ that are neither definitions nor README: {others}"
    assert len(EXAMPLES) >= 12
    assert "hello.asl.json" in names
    assert sum(p.suffix in YAML_SUFFIXES for p in EXAMPLES) >= 2
    readme = (DEFINITIONS / "README.md").read_text(encoding="utf-8")
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing, f"definitions/README.md has no line for {missing}"


def test_hello_runs_without_integrations():
    hello = _read_raw(DEFINITIONS / "hello.asl.json")
    types = {state["Type"] for _, state in _walk_states(hello)}
    assert types == {"Pass", "Choice", "Wait", "Succeed"}


def test_examples_cover_the_language():
    states = [s for p in EXAMPLES for _, s in _walk_states(_read_raw(p))]
    assert {s["Type"] for s in states} == STATE_TYPES
    resources = {s.get("Resource") for s in states}
    for wanted in (
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::http:invoke",
    ):
        assert wanted in resources
    assert any(":lambda:us-east-1:123456789012:function:" in (r or "") for r in resources)
    assert any(":states:us-east-1:123456789012:activity:" in (r or "") for r in resources)
    modes = {s.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode") for s in states}
    assert {"INLINE", "DISTRIBUTED"} <= modes
    retriers = [r for s in states for r in s.get("Retry", [])]
    assert any({"MaxDelaySeconds", "JitterStrategy", "BackoffRate"} <= r.keys() for r in retriers)
    assert any("Assign" in s for s in states)
    assert any(_read_raw(p).get("QueryLanguage") == "JSONata" for p in EXAMPLES)


# ---------------------------------------------------------------------------------------------
# sfnlocal.asl


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_loads_and_validates_clean(path: Path):
    definition = asl.load(path)
    assert definition == _read_raw(path)
    assert asl.validate(definition) == []


def test_validate_rejects_a_broken_example():
    """Control: the clean results above mean something only if validate can find a problem."""
    broken = _read_raw(DEFINITIONS / "hello.asl.json")
    broken["States"]["PauseForEffect"]["Next"] = "NoSuchState"
    assert asl.validate(broken) != []


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_compiles(path: Path):
    machine = asl.compile_definition(path)
    assert isinstance(machine, asl.StateMachine)


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_graph_has_one_node_per_state(path: Path):
    definition = asl.load(path)
    names = _state_names(definition)
    assert len(names) == len(set(names)), "state names must be unique across the machine"
    g = asl.graph(definition)
    assert g.number_of_nodes() == len(names)
    assert set(g.nodes) == set(names)


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_mermaid_names_every_state(path: Path):
    definition = asl.load(path)
    text = asl.to_mermaid(asl.graph(definition))
    assert text.startswith("flowchart")
    missing = [name for name in _state_names(definition) if name not in text]
    assert not missing, f"Mermaid output does not mention {missing}"


# ---------------------------------------------------------------------------------------------
# Cross-check with the npm asl-validator


def _asl_validator() -> str:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so the npm asl-validator cross-check cannot run")
    if LOCAL_VALIDATOR.exists():
        return str(LOCAL_VALIDATOR)
    on_path = shutil.which("asl-validator")
    if on_path is None:
        pytest.fail(
            f"node is installed but the npm package asl-validator is not: run `{INSTALL_HINT}` "
            "from the repository root (it installs the version pinned in "
            "tests/asl_validator/package.json)"
        )
    return on_path


def _complaints(output: str) -> set[str]:
    """The individual complaint lines of an asl-validator 'is invalid' report."""
    lines = [line.strip() for line in output.splitlines()]
    return {line for line in lines if line and "State machine definition" not in line}


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_passes_npm_asl_validator(path: Path):
    validator = _asl_validator()
    flag = "--yaml-path" if path.suffix in YAML_SUFFIXES else "--json-path"
    result = subprocess.run(
        [validator, flag, str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    allowed = ASL_VALIDATOR_KNOWN_FALSE_REJECTIONS.get(path.name, frozenset())
    if result.returncode == 0:
        assert "is valid" in output, output
        assert not allowed, f"asl-validator now accepts {path.name}: drop its allowlist entry"
        return
    assert result.returncode == 1, f"asl-validator crashed (exit {result.returncode}):\n{output}"
    complaints = _complaints(output)
    assert complaints, output
    unexpected = complaints - allowed
    assert not unexpected, f"asl-validator rejects {path.name}:\n" + "\n".join(sorted(unexpected))
    stale = allowed - complaints
    assert not stale, f"allowlisted complaints no longer reported for {path.name}: {stale}"
