"""Mocked service integrations, in the format of AWS Step Functions Local's ``MockConfigFile.json``.

The file names test cases per state machine and the responses they give::

    {
      "StateMachines": {
        "orders": {"TestCases": {"HappyPath": {"Charge": "ChargeOk", "Notify": "NotifyFails"}}}
      },
      "MockedResponses": {
        "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}},
        "NotifyFails": {"0-1": {"Throw": {"Error": "SNS.ThrottledException", "Cause": "slow down"}},
                        "2": {"Return": {"MessageId": "m-1"}}}
      }
    }

An execution started with ``<stateMachineArn>#<TestCase>`` belongs to the base state machine (its
ARN is ``execution:<machine>:<name>``, as in Step Functions Local) and answers each Task state the
test case lists with its mocked responses, by state name (states inside Map and Parallel too). The
keys of a mocked response count the state's invocations in the execution, from 0; every attempt
(retries too) is one invocation; a range ``"1-2"`` covers both ends. ``Return`` is the task's result
(``.waitForTaskToken`` and ``.sync`` tasks return it at once); ``Throw`` fails the attempt with its
``Error``/``Cause``, so Retry and Catch apply. Past the last key the last response repeats. States
the test case does not list use the real integrations.

``load_mock_config(path)`` reads a file (errors name the file and a JSON pointer); ``Registry.mocks``
holds the configuration the engine uses; ``sfnlocal serve`` reads the file named by the
``SFN_MOCK_CONFIG`` environment variable (as Step Functions Local does).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from sfnlocal.asl.model import Block, MapState, ParallelState, StateMachine, TaskState
from sfnlocal.datafile import ConfigError, read_document
from sfnlocal.engine.validation import split_test_case
from sfnlocal.errors import ServiceError, StatesError

if TYPE_CHECKING:
    from sfnlocal.asl.model import Resource
    from sfnlocal.integrations.base import Integration, Registry, TaskRequest

__all__ = [
    "ENV_VAR",
    "MockConfig",
    "MockConfigError",
    "MockTestCase",
    "MockedResponse",
    "MockedResponses",
    "load_mock_config",
    "mock_config_from_env",
    "mocked_registry",
    "parse_mock_config",
    "split_test_case",
]

ENV_VAR = "SFN_MOCK_CONFIG"
"""The environment variable naming the mock configuration file (Step Functions Local's name)."""

_RANGE = re.compile(r"^(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?$")
_TOP_KEYS = ("StateMachines", "MockedResponses")


class MockConfigError(ConfigError):
    """A mock configuration that cannot be used (``source`` is None for data given in code)."""


@dataclass(frozen=True, slots=True)
class MockedResponse:
    """One ``Return`` or ``Throw`` for the invocations ``first`` to ``last`` (0-based, inclusive).

    Attributes:
        first / last: the invocation counts it answers.
        value: the ``Return`` value (the task result).
        error / cause: the ``Throw`` (``error`` is None for a ``Return``).
    """

    first: int
    last: int
    value: Any = None
    error: str | None = None
    cause: str | None = None

    def apply(self) -> Any:
        """The task result, or raise the thrown error.

        Raises:
            StatesError: a ``Throw``, with its Error and Cause.
        """
        if self.error is not None:
            raise StatesError(self.error, self.cause)
        return copy.deepcopy(self.value)


@dataclass(frozen=True, slots=True)
class MockedResponses:
    """A named entry of ``MockedResponses``: responses by invocation count, contiguous from 0."""

    name: str
    responses: tuple[MockedResponse, ...]

    def answer(self, invocation: int) -> MockedResponse:
        """The response of the ``invocation``-th call (0-based); past the last, the last one."""
        for response in self.responses:
            if response.first <= invocation <= response.last:
                return response
        return self.responses[-1]


@dataclass(frozen=True, slots=True)
class MockTestCase:
    """A test case: the mocked responses of some states of one state machine, by state name."""

    machine: str
    name: str
    states: Mapping[str, MockedResponses]


@dataclass(frozen=True, slots=True)
class MockConfig:
    """A parsed mock configuration.

    Attributes:
        machines: state machine name → test case name → test case.
        responses: the ``MockedResponses`` by name.
        source: the file it was read from (None: data given in code).
        default: the test case of executions started without ``#<TestCase>`` (None: unmocked);
            see ``with_default``.
    """

    machines: Mapping[str, Mapping[str, MockTestCase]]
    responses: Mapping[str, MockedResponses]
    source: str | None = None
    default: MockTestCase | None = None

    def test_case(self, machine: str, case: str) -> MockTestCase:
        """The test case ``case`` of the state machine ``machine``.

        Raises:
            ServiceError: ``ValidationException`` naming the test case when there is none.
        """
        found = self.machines.get(machine, {}).get(case)
        if found is None:
            raise unknown_test_case(machine, case, self.source)
        return found

    def with_default(self, machine: str, case: str) -> MockConfig:
        """This configuration, mocking every execution started without ``#`` with that test case.

        Raises:
            ServiceError: ``ValidationException`` when the test case does not exist.
        """
        return replace(self, default=self.test_case(machine, case))


def unknown_test_case(machine: str, case: str, source: str | None) -> ServiceError:
    """The error of a start naming a test case that the mock configuration lacks."""
    where = f"the mock configuration file {source}" if source else "the mock configuration"
    return ServiceError("ValidationException",
                        f"Test case '{case}' of state machine '{machine}' is not defined in {where}")


# -- parsing -----------------------------------------------------------------------------------


def parse_mock_config(data: Any, source: str | None = None) -> MockConfig:
    """A ``MockConfig`` from parsed JSON data.

    Raises:
        MockConfigError: the data breaks the format (the message gives a JSON pointer).
    """
    _Parser.mapping(data, "", source)
    unknown = [key for key in data if key not in _TOP_KEYS]
    if unknown:
        raise MockConfigError(f"unknown key '{unknown[0]}' (expected StateMachines and "
                              "MockedResponses)", "/" + _escape(str(unknown[0])), source)
    parser = _Parser(source)
    responses = parser.responses(data.get("MockedResponses", {}))
    machines = parser.machines(data.get("StateMachines", {}), responses)
    return MockConfig(machines, responses, source)


def load_mock_config(path: str | os.PathLike[str]) -> MockConfig:
    """Read a mock configuration file (JSON; ``.yaml``/``.yml`` are read as YAML).

    Raises:
        MockConfigError: the file cannot be read or parsed, or breaks the format.
    """
    data = read_document(path, default="JSON", error=MockConfigError)
    return parse_mock_config(data, str(path))


def mock_config_from_env(environ: Mapping[str, str] | None = None) -> MockConfig | None:
    """The configuration named by ``SFN_MOCK_CONFIG`` (None when the variable is unset or empty).

    Raises:
        MockConfigError: the file is missing or invalid.
    """
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return load_mock_config(value) if value else None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class _Parser:
    """Checks the document, section by section, naming the JSON pointer of the first problem."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, detail: str, pointer: str) -> MockConfigError:
        return MockConfigError(detail, pointer, self.source)

    @staticmethod
    def mapping(value: Any, pointer: str, source: str | None) -> None:
        if not isinstance(value, Mapping):
            raise MockConfigError(f"must be an object, not {_type_name(value)}", pointer, source)

    def items(self, value: Any, pointer: str) -> Iterator[tuple[str, Any, str]]:
        self.mapping(value, pointer, self.source)
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise self.fail(f"keys must be non-empty strings, not {key!r}", pointer)
            yield key, item, f"{pointer}/{_escape(key)}"

    def responses(self, section: Any) -> dict[str, MockedResponses]:
        return {name: MockedResponses(name, self.ranges(value, where))
                for name, value, where in self.items(section, "/MockedResponses")}

    def ranges(self, value: Any, pointer: str) -> tuple[MockedResponse, ...]:
        found = sorted((self.response(key, item, where)
                        for key, item, where in self.items(value, pointer)),
                       key=lambda r: r.first)
        if not found:
            raise self.fail("needs at least one response (key \"0\")", pointer)
        expected = 0
        for response in found:
            if response.first != expected:
                raise self.fail(f"invocation {expected} has no response: the keys must count "
                                "from 0 without gaps or overlaps", pointer)
            expected = response.last + 1
        return tuple(found)

    def response(self, key: str, item: Any, pointer: str) -> MockedResponse:
        match = _RANGE.match(key)
        if match is None:
            raise self.fail("the key must be an invocation count (\"0\") or a range (\"1-2\")",
                            pointer)
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise self.fail(f"the range ends ({last}) before it starts ({first})", pointer)
        self.mapping(item, pointer, self.source)
        kinds = [k for k in ("Return", "Throw") if k in item]
        extra = [k for k in item if k not in ("Return", "Throw")]
        if len(kinds) != 1 or extra:
            raise self.fail("must hold exactly one of Return and Throw", pointer)
        if kinds[0] == "Return":
            return MockedResponse(first, last, value=item["Return"])
        error, cause = self.throw(item["Throw"], pointer + "/Throw")
        return MockedResponse(first, last, error=error, cause=cause)

    def throw(self, value: Any, pointer: str) -> tuple[str, str | None]:
        self.mapping(value, pointer, self.source)
        extra = [k for k in value if k not in ("Error", "Cause")]
        if extra:
            raise self.fail(f"unknown key '{extra[0]}' (expected Error and Cause)", pointer)
        error, cause = value.get("Error"), value.get("Cause")
        if not isinstance(error, str) or not error:
            raise self.fail("Error must be a non-empty string", pointer + "/Error")
        if cause is not None and not isinstance(cause, str):
            raise self.fail("Cause must be a string", pointer + "/Cause")
        return error, cause

    def machines(self, section: Any, responses: Mapping[str, MockedResponses]
                 ) -> dict[str, dict[str, MockTestCase]]:
        machines: dict[str, dict[str, MockTestCase]] = {}
        for machine, value, where in self.items(section, "/StateMachines"):
            self.mapping(value, where, self.source)
            extra = [k for k in value if k != "TestCases"]
            if extra:
                raise self.fail(f"unknown key '{extra[0]}' (expected TestCases)", where)
            cases = value.get("TestCases", {})
            machines[machine] = {
                case: MockTestCase(machine, case, self.states(states, case_where, responses))
                for case, states, case_where in self.items(cases, where + "/TestCases")}
        return machines

    def states(self, value: Any, pointer: str, responses: Mapping[str, MockedResponses]
               ) -> dict[str, MockedResponses]:
        states = {}
        for state, name, where in self.items(value, pointer):
            if not isinstance(name, str) or name not in responses:
                raise self.fail(f"names the mocked response {json.dumps(name)}, which "
                                "MockedResponses does not define", where)
            states[state] = responses[name]
        return states


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


# -- executions --------------------------------------------------------------------------------


def mocked_registry(registry: Registry, machine_name: str, machine: StateMachine,
                    test_case: str | None) -> Registry:
    """The integrations of one execution: ``registry`` with the test case's states mocked.

    Args:
        registry: the engine's integrations (``registry.mocks`` holds the configuration).
        machine_name: the state machine's name (the key of ``StateMachines``).
        machine: its compiled definition.
        test_case: the test case named after ``#`` in the started ARN (None: the default one).

    Raises:
        ServiceError: ``ValidationException`` for an unknown test case, or one that mocks a state
            that is not a Task state of the definition.
    """
    config = registry.mocks
    if test_case is not None:
        if config is None:
            raise ServiceError("ValidationException", f"Test case '{test_case}' of state machine "
                               f"'{machine_name}' cannot be used: no mock configuration is loaded "
                               f"(set {ENV_VAR})")
        case = config.test_case(machine_name, test_case)
    else:
        assert config is not None and config.default is not None
        case = config.default
    # A default test case applies to every execution, nested ones too: it mocks what is there.
    view = _MockedView(registry, case, _mocked_resources(case, machine, strict=test_case is not None))
    return cast("Registry", view)  # a view: the Registry's interface, resolve_task mocked


def _tasks(block: Block) -> Iterator[TaskState]:
    for state in block.states.values():
        if isinstance(state, TaskState):
            yield state
        elif isinstance(state, ParallelState):
            for branch in state.branches:
                yield from _tasks(branch)
        elif isinstance(state, MapState):
            yield from _tasks(state.processor)


def _mocked_resources(case: MockTestCase, machine: StateMachine, *, strict: bool) -> dict[int, str]:
    """``id(resource)`` → state name for every Task state the test case mocks."""
    tasks = list(_tasks(machine.root))
    names = {task.name for task in tasks}
    for state in case.states:
        if strict and state not in names:
            raise ServiceError(
                "ValidationException",
                f"Test case '{case.name}' of state machine '{case.machine}' mocks state "
                f"'{state}', which is not a Task state of its definition")
    return {id(task.resource): task.name for task in tasks if task.name in case.states}


class _MockedView:
    """A registry as one mocked execution sees it: the same services, mocked Task states.

    Each view counts the invocations of its execution's states; everything but ``resolve_task``
    is the engine's registry's own.
    """

    def __init__(self, base: Registry, case: MockTestCase, mocked: dict[int, str]) -> None:
        self._base = base
        self._case = case
        self._mocked = mocked
        self._counts: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def resolve_task(self, resource: Resource) -> Integration:
        """The mock of a listed state's resource; the real integration otherwise."""
        state = self._mocked.get(id(resource))
        if state is None:
            return self._base.resolve_task(resource)
        return _MockIntegration(self, self._base, resource)

    def next_response(self, state: str) -> MockedResponse | None:
        """The response of the state's next invocation (None: the state is not mocked)."""
        responses = self._case.states.get(state)
        if responses is None:
            return None
        count = self._counts.get(state, 0)
        self._counts[state] = count + 1
        return responses.answer(count)


class _MockIntegration:
    """Answers a mocked Task state's attempts from the test case."""

    def __init__(self, view: _MockedView, base: Registry, resource: Resource) -> None:
        self._view = view
        self._base = base
        self._resource = resource

    def prepare(self, parameters: Any) -> Any:
        """The parameters as the real integration would record them (when one is registered)."""
        from sfnlocal.integrations.base import PreparesParameters, UnknownResource

        try:
            real = self._base.resolve(self._resource)
        except UnknownResource:
            return parameters
        return real.prepare(parameters) if isinstance(real, PreparesParameters) else parameters

    async def invoke(self, request: TaskRequest) -> Any:
        """Return or throw the state's next mocked response (no waiting, no service call)."""
        response = self._view.next_response(request.context.state_name)
        if response is None:  # another state with the same resource object: never mocked
            return await self._base.resolve_task(self._resource).invoke(request)
        request.context.started()  # an activity records ActivityStarted as if a worker took it
        return response.apply()
