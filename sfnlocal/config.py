"""The server's config file: state machines, Lambda functions, SQS queues, activities and mocks.

``sfnlocal serve --config sfnlocal.yaml`` (YAML, or JSON for a ``.json`` file) declares what the
server offers at start; paths in it are relative to the file::

    region: us-east-1                   # optional: the ARNs' region and account (start only)
    account: "123456789012"
    state_machines:
      - name: greeter
        definition: greeter.asl.json    # a file, or the definition inline as a mapping
        type: STANDARD                  # or EXPRESS
        role_arn: arn:aws:iam::123456789012:role/greeter
        tags: {team: docs}
    functions:                          # the format of sfnlocal.integrations.lambda_config
      - {name: greet, handler: greet.handler, code: functions/greet.py, mode: in-process}
    queues:
      - {name: greetings, attributes: {VisibilityTimeout: 60}}
    activities: [review]
    mocks: MockConfigFile.json          # a Step Functions Local mock file, or the same inline

``load_config(path)`` reads and checks it (``ConfigError`` names the file and a JSON pointer);
``apply_config(engine, config, previous)`` makes the engine match it and reports what changed;
``ConfigReloader`` does both for a file and serialises reloads (SIGHUP, ``POST /admin/reload``).

A reload checks the whole new file first, against the engine's current state, and applies nothing
when any part is wrong: the old configuration stays in force. It creates what is new, updates state
machines whose definition or role changed (running executions keep the definition they started
with), re-registers functions whose declaration changed, sets changed queue attributes (queued
messages stay) and swaps the mocks. It deletes nothing: resources that left the file stay until
they are deleted through the API or the server restarts.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfnlocal import asl
from sfnlocal.datafile import ConfigError, read_document
from sfnlocal.engine.clock import VirtualClock
from sfnlocal.engine.validation import STATE_MACHINE_TYPES, is_valid_name
from sfnlocal.errors import InvalidDefinition, ServiceError
from sfnlocal.integrations.lambda_config import (
    FunctionConfig,
    LambdaConfigError,
    import_handler,
    parse_functions,
    worker_pool,
)
from sfnlocal.integrations.mock import MockConfig, MockConfigError, load_mock_config, parse_mock_config
from sfnlocal.integrations.sqs_queues import SqsService

if TYPE_CHECKING:
    from sfnlocal.engine.engine import Engine

__all__ = [
    "ActivitySpec",
    "Config",
    "ConfigError",
    "ConfigReloader",
    "ConfigReport",
    "QueueSpec",
    "StateMachineSpec",
    "apply_config",
    "load_config",
    "parse_config",
]

KEYS = ("region", "account", "state_machines", "functions", "queues", "activities", "mocks")
_MACHINE_KEYS = ("name", "definition", "type", "role_arn", "tags")
_DEFAULT_ROLE = "arn:aws:iam::123456789012:role/sfnlocal"
_FUNCTION_INDEX = re.compile(r"^functions\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class StateMachineSpec:
    """A declared state machine (``definition`` is the parsed definition)."""

    name: str
    definition: Mapping[str, Any]
    type: str = "STANDARD"
    role_arn: str = _DEFAULT_ROLE
    tags: Mapping[str, str] = field(default_factory=dict)
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A declared SQS queue: its name and attributes (as strings, as SQS keeps them)."""

    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class ActivitySpec:
    """A declared activity."""

    name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    """A checked config file.

    Attributes:
        source: the file it was read from (None: data given in code).
        region / account: the ARNs' region and account, None when not given.
        state_machines / functions / queues / activities: the declarations, in file order.
        mocks: the mock configuration, None when not given.
    """

    source: str | None = None
    region: str | None = None
    account: str | None = None
    state_machines: tuple[StateMachineSpec, ...] = ()
    functions: tuple[FunctionConfig, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    activities: tuple[ActivitySpec, ...] = ()
    mocks: MockConfig | None = None


# -- reading -----------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and check a config file (YAML; JSON for ``.json``).

    Raises:
        ConfigError: the file cannot be read or parsed, or a declaration is wrong.
    """
    file = Path(path)
    data = read_document(file)
    return parse_config({} if data is None else data, file.resolve().parent, str(file))


def parse_config(data: Any, base_dir: Path | None = None, source: str | None = None) -> Config:
    """Check parsed config data; relative paths start at ``base_dir`` (default: the working dir).

    Raises:
        ConfigError: a declaration is wrong (the message gives its JSON pointer).
    """
    reader = _Reader(base_dir or Path.cwd(), source)
    reader.mapping(data, "")
    for key in data:
        if key not in KEYS:
            raise reader.fail(f"unknown key '{key}' (expected one of: {', '.join(KEYS)})", f"/{key}")
    return Config(
        source=source,
        region=reader.optional_text(data, "region", r"^[a-z]{2}(-[a-z]+)+-\d+$", "a region name"),
        account=reader.optional_text(data, "account", r"^\d{12}$", "a 12-digit account id"),
        state_machines=reader.unique(reader.state_machines(data.get("state_machines"))),
        functions=reader.functions(data.get("functions")),
        queues=reader.unique(reader.queues(data.get("queues"))),
        activities=reader.unique(reader.activities(data.get("activities"))),
        mocks=reader.mocks(data.get("mocks")),
    )


class _Reader:
    """Checks one config document, naming the JSON pointer of the first problem."""

    def __init__(self, base_dir: Path, source: str | None) -> None:
        self.base_dir = base_dir
        self.source = source

    def fail(self, detail: str, pointer: str) -> ConfigError:
        return ConfigError(detail, pointer, self.source)

    def mapping(self, value: Any, pointer: str) -> None:
        if not isinstance(value, Mapping):
            raise self.fail(f"must be a mapping, not {type(value).__name__}", pointer)

    def optional_text(self, data: Mapping[str, Any], key: str, pattern: str, what: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or re.match(pattern, value) is None:
            raise self.fail(f"must be {what}, not {value!r}", f"/{key}")
        return value

    def entries(self, value: Any, section: str, *, names_allowed: bool = False
                ) -> Iterator[tuple[dict[str, Any], str]]:
        """A section's declarations (a list, or a mapping of name to fields) with their pointers."""
        if value is None:
            return
        if isinstance(value, Mapping):
            items = [{"name": name, **(fields or {})} if isinstance(fields, Mapping | None)
                     else fields for name, fields in value.items()]
            pointers = [f"/{section}/{_escape(str(name))}" for name in value]
        elif isinstance(value, list):
            items, pointers = list(value), [f"/{section}/{i}" for i in range(len(value))]
        else:
            raise self.fail("must be a list of declarations", f"/{section}")
        for item, pointer in zip(items, pointers, strict=True):
            if names_allowed and isinstance(item, str):
                item = {"name": item}
            self.mapping(item, pointer)
            yield dict(item), pointer

    def name(self, item: Mapping[str, Any], pointer: str, check: Callable[[str], bool]) -> str:
        name = item.get("name")
        if not isinstance(name, str) or not check(name):
            raise self.fail(f"'name' must be a valid name, not {name!r}", pointer + "/name")
        return name

    def tags(self, item: Mapping[str, Any], pointer: str) -> dict[str, str]:
        tags = item.get("tags") or {}
        self.mapping(tags, pointer + "/tags")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
            raise self.fail("tags must map strings to strings", pointer + "/tags")
        return dict(tags)

    def unknown(self, item: Mapping[str, Any], pointer: str, allowed: tuple[str, ...]) -> None:
        for key in item:
            if key not in allowed:
                raise self.fail(f"unknown key '{key}' (expected one of: {', '.join(allowed)})",
                                f"{pointer}/{key}")

    def unique(self, specs: list[Any]) -> tuple[Any, ...]:
        seen: set[str] = set()
        for spec in specs:
            if spec.name in seen:
                raise self.fail(f"'{spec.name}' is declared twice", spec.pointer)
            seen.add(spec.name)
        return tuple(specs)

    # -- sections --------------------------------------------------------------------------------

    def state_machines(self, section: Any) -> list[StateMachineSpec]:
        return [self.state_machine(item, pointer)
                for item, pointer in self.entries(section, "state_machines")]

    def state_machine(self, item: dict[str, Any], pointer: str) -> StateMachineSpec:
        self.unknown(item, pointer, _MACHINE_KEYS)
        name = self.name(item, pointer, is_valid_name)
        type_ = item.get("type", "STANDARD")
        if type_ not in STATE_MACHINE_TYPES:
            raise self.fail(f"'type' must be STANDARD or EXPRESS, not {type_!r}", pointer + "/type")
        role = item.get("role_arn", _DEFAULT_ROLE)
        if not isinstance(role, str) or not role.startswith("arn:"):
            raise self.fail(f"'role_arn' must be an IAM role ARN, not {role!r}", pointer + "/role_arn")
        definition = self.definition(item.get("definition"), pointer + "/definition", type_)
        return StateMachineSpec(name, definition, type_, role, self.tags(item, pointer), pointer)

    def definition(self, value: Any, pointer: str, type_: str) -> Mapping[str, Any]:
        if isinstance(value, str):
            path = self.base_dir / value
            try:
                value = asl.load(str(path))
            except OSError as exc:
                raise self.fail(f"cannot read {path}: {exc.strerror or exc}", pointer) from None
            except InvalidDefinition as exc:
                raise self.fail(f"{path}: {exc.message}", pointer) from None
        if not isinstance(value, Mapping):
            raise self.fail("must be a definition file path or an inline definition", pointer)
        try:
            asl.check(value, type_)
        except InvalidDefinition as exc:
            raise self.fail(exc.message, pointer) from None
        return dict(value)

    def functions(self, section: Any) -> tuple[FunctionConfig, ...]:
        if section is None:
            return ()
        try:
            configs = parse_functions(section, self.base_dir)
            for index, config in enumerate(configs):
                _check_code(config, index)
        except LambdaConfigError as exc:
            match = _FUNCTION_INDEX.match(str(exc))
            pointer = f"/functions/{match.group(1)}" if match else "/functions"
            raise self.fail(str(exc), pointer) from None
        return tuple(configs)

    def queues(self, section: Any) -> list[QueueSpec]:
        specs = []
        for item, pointer in self.entries(section, "queues"):
            self.unknown(item, pointer, ("name", "attributes"))
            attributes = item.get("attributes") or {}
            self.mapping(attributes, pointer + "/attributes")
            text = {str(k): _sqs_text(v) for k, v in attributes.items()}
            specs.append(QueueSpec(self.name(item, pointer, bool), text, pointer))
        return specs

    def activities(self, section: Any) -> list[ActivitySpec]:
        specs = []
        for item, pointer in self.entries(section, "activities", names_allowed=True):
            self.unknown(item, pointer, ("name", "tags"))
            name = self.name(item, pointer, is_valid_name)
            specs.append(ActivitySpec(name, self.tags(item, pointer), pointer))
        return specs

    def mocks(self, value: Any) -> MockConfig | None:
        if value is None:
            return None
        try:
            if isinstance(value, str):
                return load_mock_config(self.base_dir / value)
            return parse_mock_config(value, self.source)
        except MockConfigError as exc:
            inner = exc.pointer if isinstance(value, str) else "/mocks" + exc.pointer
            raise ConfigError(exc.detail, inner, exc.source) from None


def _check_code(config: FunctionConfig, index: int) -> None:
    """Find the function's handler now, so a reload with a broken one is refused whole."""
    try:
        if config.isolated:
            worker_pool(config, config.name)
        else:
            import_handler(config)
    except LambdaConfigError as exc:
        raise LambdaConfigError(f"functions[{index}] ({config.name!r}): {exc}") from exc


def _sqs_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return json.dumps(value)
    return str(value)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


# -- applying ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ConfigReport:
    """What applying a config did, by kind (``stateMachines``, ``functions``, ``queues``...).

    Attributes:
        created / updated / unchanged: resource names by kind.
        notes: what was not done and why (a state machine that could not be updated...).
    """

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, outcome: str, kind: str, name: str) -> None:
        """Record that ``name`` of ``kind`` was ``created``, ``updated`` or ``unchanged``."""
        getattr(self, outcome).setdefault(kind, []).append(name)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data (the body of ``POST /admin/reload``)."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "notes": self.notes}


Step = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class _Plan:
    """The changes of one apply, decided (and checked) before any is made."""

    engine: Engine
    report: ConfigReport = field(default_factory=ConfigReport)
    steps: list[Step] = field(default_factory=list)

    def change(self, outcome: str, kind: str, name: str, step: Step | None = None) -> None:
        self.report.add(outcome, kind, name)
        if step is not None:
            self.steps.append(step)


async def apply_config(engine: Engine, config: Config, previous: Config | None = None
                       ) -> ConfigReport:
    """Make ``engine`` offer what ``config`` declares; ``previous`` is the config in force.

    Everything is checked first; nothing changes when a check fails.

    Raises:
        ConfigError: the config cannot be applied (region or account changed on reload, a state
            machine's type changed, a queue attribute SQS refuses...).
    """
    plan = _Plan(engine)
    _plan_settings(plan, config, previous)
    _plan_state_machines(plan, config)
    _plan_functions(plan, config, previous)
    await _plan_queues(plan, config)
    await _plan_activities(plan, config)
    _plan_mocks(plan, config, previous)
    for step in plan.steps:
        await step()
    return plan.report


def _plan_settings(plan: _Plan, config: Config, previous: Config | None) -> None:
    settings = plan.engine.settings
    for key, wanted, current in (("region", config.region, settings.region),
                                 ("account", config.account, settings.account)):
        if wanted is not None and wanted != current:
            raise ConfigError(f"the server runs with {key} {current}; a {key} change needs a "
                              "restart", f"/{key}", config.source)


def _plan_state_machines(plan: _Plan, config: Config) -> None:
    engine = plan.engine
    for spec in config.state_machines:
        arn = _arn(engine, "stateMachine", spec.name)
        record = engine.store.get_state_machine(arn)
        if record is None:
            plan.change("created", "stateMachines", spec.name, _create_machine(engine, spec))
            continue
        if record.type != spec.type:
            raise ConfigError(f"state machine '{spec.name}' is {record.type}: a type cannot change "
                              "(delete it through the API first)", spec.pointer + "/type",
                              config.source)
        same = json.loads(record.definition) == spec.definition and record.role_arn == spec.role_arn
        if same and engine.tags.of(arn) == dict(spec.tags):
            plan.change("unchanged", "stateMachines", spec.name)
        elif same:
            plan.change("updated", "stateMachines", spec.name, _retag(engine, arn, spec.tags))
        else:
            plan.change("updated", "stateMachines", spec.name, _update_machine(engine, arn, spec))


def _arn(engine: Engine, kind: str, name: str) -> str:
    settings = engine.settings
    return f"arn:aws:states:{settings.region}:{settings.account}:{kind}:{name}"


def _create_machine(engine: Engine, spec: StateMachineSpec) -> Step:
    async def step() -> None:
        await engine.create_state_machine(spec.name, json.dumps(spec.definition), spec.role_arn,
                                          spec.type, spec.tags)
    return step


def _retag(engine: Engine, arn: str, tags: Mapping[str, str]) -> Step:
    async def step() -> None:
        engine.tags.replace(arn, tags)
    return step


def _update_machine(engine: Engine, arn: str, spec: StateMachineSpec) -> Step:
    """UpdateStateMachine: new executions use the new definition; running ones keep theirs."""
    async def step() -> None:
        await engine.update_state_machine(arn, definition=json.dumps(spec.definition),
                                          role_arn=spec.role_arn)
        engine.tags.replace(arn, spec.tags)
    return step


def _plan_functions(plan: _Plan, config: Config, previous: Config | None) -> None:
    lambdas = plan.engine.integrations.lambdas
    before = {f.name: f for f in (previous.functions if previous else ())}
    for function in config.functions:
        old = before.get(function.name)
        if old == function:
            plan.change("unchanged", "functions", function.name)
            continue
        outcome = "created" if old is None else "updated"

        async def step(function: FunctionConfig = function) -> None:
            lambdas.add(function)
        plan.change(outcome, "functions", function.name, step)


async def _plan_queues(plan: _Plan, config: Config) -> None:
    if not config.queues:
        return
    service = _sqs_of(plan.engine)
    scratch = SqsService(VirtualClock(), service.region, service.account)
    for spec in config.queues:
        try:
            await scratch.create_queue(spec.name, spec.attributes)
        except ServiceError as exc:
            raise ConfigError(f"{exc.code}: {exc.message}", spec.pointer, config.source) from None
        await _plan_queue(plan, service, spec, config.source)


async def _plan_queue(plan: _Plan, service: SqsService, spec: QueueSpec, source: str | None
                      ) -> None:
    try:
        url = (await service.get_queue_url(spec.name))["QueueUrl"]
    except ServiceError:
        async def create() -> None:
            await service.create_queue(spec.name, spec.attributes)
        plan.change("created", "queues", spec.name, create)
        return
    current = (await service.get_queue_attributes(url, ["All"]))["Attributes"]
    changes = {k: v for k, v in spec.attributes.items() if current.get(k) != v}
    if "FifoQueue" in changes:
        raise ConfigError(f"queue '{spec.name}': FifoQueue cannot change", spec.pointer, source)
    if not changes:
        plan.change("unchanged", "queues", spec.name)
        return

    async def update() -> None:
        await service.set_queue_attributes(url, changes)
    plan.change("updated", "queues", spec.name, update)


def _sqs_of(engine: Engine) -> SqsService:
    """The engine's SQS service (one is made on the engine's clock and registered if none is)."""
    registry = engine.integrations
    service: SqsService | None = getattr(registry, "sqs", None)
    if service is None:
        service = SqsService(engine.clock, engine.settings.region, engine.settings.account)
        registry.register_sqs(service)
    return service


async def _plan_activities(plan: _Plan, config: Config) -> None:
    engine = plan.engine
    for spec in config.activities:
        arn = _arn(engine, "activity", spec.name)
        if arn in engine.integrations.activities:
            plan.change("unchanged", "activities", spec.name)
            continue

        async def create(spec: ActivitySpec = spec) -> None:
            await engine.create_activity(spec.name, spec.tags)
        plan.change("created", "activities", spec.name, create)


def _plan_mocks(plan: _Plan, config: Config, previous: Config | None) -> None:
    old = previous.mocks if previous else None
    if config.mocks is None and old is None:
        return
    registry = plan.engine.integrations
    if config.mocks == old:
        plan.change("unchanged", "mocks", "mocks")
        return
    outcome = "created" if old is None else "updated"

    async def swap() -> None:
        registry.mocks = config.mocks
    plan.change(outcome, "mocks", "mocks", swap)


# -- reloading ---------------------------------------------------------------------------------


class ConfigReloader:
    """A config file applied to an engine, reloadable (one reload at a time).

    Args:
        engine: the engine (already entered).
        path: the config file.
    """

    def __init__(self, engine: Engine, path: str | os.PathLike[str]) -> None:
        self.engine = engine
        self.path = Path(path)
        self.current: Config | None = None
        self._lock = asyncio.Lock()

    async def reload(self) -> ConfigReport:
        """Read the file and apply it (also the first load); the old config stays on failure.

        Raises:
            ConfigError: the file is broken or cannot be applied (nothing was changed).
        """
        async with self._lock:
            config = load_config(self.path)
            report = await apply_config(self.engine, config, self.current)
            self.current = config
            return report
