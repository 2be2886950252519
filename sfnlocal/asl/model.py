"""The frozen model a definition compiles into.

A ``StateMachine`` holds a root ``Block`` (``StartAt`` + ``States``); Parallel branches and Map item
processors are Blocks too. Every state type has its own frozen dataclass carrying every field of both
query languages, already compiled: paths are ``Path`` objects, templates ``Template`` objects, intrinsic
calls ``Call`` trees, JSONata expressions ``JsonataValue`` trees and Choice rules ``Predicate`` objects.
Names are snake_case here; AWS's PascalCase stays in the definition parser (``compiler.py``).

Conventions for optional data-flow fields of JSONPath states:
    ``input_path`` / ``output_path``: a ``Path``; ``None`` means the definition said ``null`` (→ ``{}``).
    ``result_path``: a ``Path``; ``None`` means ``null`` (discard the result, keep the input).
    Absent fields compile to the identity path ``$``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

if TYPE_CHECKING:
    from sfnlocal.asl.choice_rules import Predicate
    from sfnlocal.expressions.intrinsics import Call
    from sfnlocal.expressions.jsonata import JsonataValue
    from sfnlocal.expressions.jsonpath import Path
    from sfnlocal.expressions.templates import Template

__all__ = [
    "Block",
    "Catcher",
    "ChoiceRule",
    "ChoiceState",
    "DynamicValue",
    "FailState",
    "ItemBatcher",
    "ItemReader",
    "MapState",
    "ParallelState",
    "PassState",
    "Pattern",
    "QueryLanguage",
    "Resource",
    "ResultWriter",
    "Retrier",
    "State",
    "StateBase",
    "StateMachine",
    "SucceedState",
    "TaskState",
    "WaitState",
]

EMPTY: Mapping[str, Any] = MappingProxyType({})


class QueryLanguage(StrEnum):
    """The query language of a state."""

    JSONPATH = "JSONPath"
    JSONATA = "JSONata"


class Pattern(StrEnum):
    """A Task's integration pattern, from the Resource suffix."""

    REQUEST_RESPONSE = ""
    SYNC = ".sync"
    SYNC2 = ".sync:2"
    WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"


DynamicValue: TypeAlias = "Path | Call | JsonataValue"
"""A value computed at run time: a JSONPath ``*Path`` field, an intrinsic, or a JSONata expression."""


@dataclass(frozen=True, slots=True)
class Resource:
    """A parsed Task ``Resource`` ARN.

    Attributes:
        arn: the ARN as written.
        kind: ``lambda`` (direct function ARN), ``activity``, ``service`` (optimized integration
            ``arn:aws:states:::svc:action``), ``sdk`` (``arn:aws:states:::aws-sdk:svc:action``), ``http``
            (``arn:aws:states:::http:invoke``) or ``unknown``.
        service: ``lambda``, ``sqs``, ``states``, ``aws-sdk:s3``...: the history ``resourceType``.
        action: the action without the pattern suffix (``invoke``, ``sendMessage``, ``startExecution``).
        pattern: the integration pattern.
        partition / region / account: from the ARN; empty when the ARN leaves them out.
        name: the function or activity name for ``lambda``/``activity`` ARNs (with qualifier, if any).
    """

    arn: str
    kind: Literal["lambda", "activity", "service", "sdk", "http", "unknown"]
    service: str = ""
    action: str = ""
    pattern: Pattern = Pattern.REQUEST_RESPONSE
    partition: str = "aws"
    region: str = ""
    account: str = ""
    name: str = ""

    @property
    def history_resource(self) -> str:
        """The ``resource`` field of Task* history events: action plus pattern suffix."""
        return self.action + self.pattern.value


@dataclass(frozen=True, slots=True)
class Retrier:
    """One ``Retry`` entry."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter: Literal["FULL", "NONE"] = "NONE"
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Catcher:
    """One ``Catch`` entry.

    ``result_path`` is JSONPath only (None = ``null``: discard the error output); ``output`` JSONata only.
    """

    error_equals: tuple[str, ...]
    next: str
    result_path: Path | None
    output: JsonataValue | None = None
    assign: Template | JsonataValue | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """A top-level Choice rule: a compiled condition and where it leads."""

    condition: Predicate
    next: str
    assign: Template | JsonataValue | None = None
    output: JsonataValue | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateBase:
    """Fields every state has.

    Attributes:
        name: the state's name (unique across the machine).
        query_language: the effective language (own ``QueryLanguage`` or the machine's).
        next: the next state's name, or None for a terminal state (Choice uses its rules instead).
        end: True when ``"End": true`` or the type is terminal (Succeed, Fail).
        pointer: the JSON pointer of the state in the definition, e.g. ``/States/A`` (for messages).
        input_path / output_path: JSONPath; see the module docstring.
        output: JSONata ``Output``.
        assign: ``Assign`` as a template (JSONPath) or JSONata tree.
    """

    name: str
    type: str = ""
    query_language: QueryLanguage = QueryLanguage.JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    pointer: str = ""
    input_path: Path | None = None
    output_path: Path | None = None
    output: JsonataValue | None = None
    assign: Template | JsonataValue | None = None

    @property
    def is_jsonata(self) -> bool:
        """True for states evaluated in JSONata."""
        return self.query_language is QueryLanguage.JSONATA


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(StateBase):
    """``Type: Pass``. ``result`` is the literal ``Result`` (``has_result`` tells absent from null)."""

    type: str = "Pass"
    parameters: Template | None = None
    result: Any = None
    has_result: bool = False
    result_path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(StateBase):
    """``Type: Task``.

    Timeouts: ``timeout_seconds`` is the static value; ``timeout_seconds_dynamic`` the
    ``TimeoutSecondsPath`` (Path) or JSONata expression; likewise for heartbeats.
    ``parameters`` is the JSONPath ``Parameters`` template or the JSONata ``Arguments`` tree.
    """

    type: str = "Task"
    resource: Resource
    parameters: Template | JsonataValue | None = None
    result_selector: Template | None = None
    result_path: Path | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    timeout_seconds: int | None = None
    timeout_seconds_dynamic: Path | JsonataValue | None = None
    heartbeat_seconds: int | None = None
    heartbeat_seconds_dynamic: Path | JsonataValue | None = None
    credentials: Template | JsonataValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(StateBase):
    """``Type: Choice``: rules in order, then ``default``; state ``assign``/``output`` go with Default."""

    type: str = "Choice"
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(StateBase):
    """``Type: Wait``: exactly one of the four forms.

    ``seconds``/``timestamp`` hold a literal (int / RFC3339 string) or a JSONata tree;
    ``seconds_path``/``timestamp_path`` hold Paths.
    """

    type: str = "Wait"
    seconds: int | JsonataValue | None = None
    seconds_path: Path | None = None
    timestamp: str | JsonataValue | None = None
    timestamp_path: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(StateBase):
    """``Type: Succeed``."""

    type: str = "Succeed"
    end: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(StateBase):
    """``Type: Fail``. ``error``/``cause``: a literal string, a JSONata tree, or None.

    ``error_path``/``cause_path``: a Path or intrinsic Call (JSONPath ``ErrorPath``/``CausePath``).
    """

    type: str = "Fail"
    end: bool = True
    error: str | JsonataValue | None = None
    cause: str | JsonataValue | None = None
    error_path: Path | Call | None = None
    cause_path: Path | Call | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(StateBase):
    """``Type: Parallel``. ``parameters``: JSONPath ``Parameters`` or JSONata ``Arguments``."""

    type: str = "Parallel"
    branches: tuple[Block, ...] = ()
    parameters: Template | JsonataValue | None = None
    result_selector: Template | None = None
    result_path: Path | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemReader:
    """Distributed Map ``ItemReader``: resource, parameters and the raw ``ReaderConfig``."""

    resource: Resource
    parameters: Template | JsonataValue | None
    reader_config: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    max_items: int | None = None
    max_items_dynamic: Path | JsonataValue | None = None


@dataclass(frozen=True, slots=True)
class ItemBatcher:
    """Distributed Map ``ItemBatcher``."""

    max_items_per_batch: int | None = None
    max_items_per_batch_dynamic: Path | JsonataValue | None = None
    max_input_bytes_per_batch: int | None = None
    max_input_bytes_per_batch_dynamic: Path | JsonataValue | None = None
    batch_input: Template | JsonataValue | None = None


@dataclass(frozen=True, slots=True)
class ResultWriter:
    """Distributed Map ``ResultWriter``."""

    resource: Resource | None
    parameters: Template | JsonataValue | None
    writer_config: Mapping[str, Any] = field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(StateBase):
    """``Type: Map`` (inline or distributed).

    ``items_path`` (JSONPath ``ItemsPath``, default ``$``) or ``items`` (JSONata ``Items``: a literal
    array or a JSONata tree). ``item_selector`` is ``ItemSelector`` or the legacy ``Parameters``.
    ``max_concurrency`` is the static value (0 = unlimited); ``max_concurrency_dynamic`` the
    ``MaxConcurrencyPath`` or JSONata form. Tolerated-failure fields follow the same scheme.
    """

    type: str = "Map"
    processor: Block
    mode: Literal["INLINE", "DISTRIBUTED"] = "INLINE"
    execution_type: Literal["STANDARD", "EXPRESS"] | None = None
    items_path: Path | None = None
    items: Any = None
    item_selector: Template | JsonataValue | None = None
    result_selector: Template | None = None
    result_path: Path | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    max_concurrency: int = 0
    max_concurrency_dynamic: Path | JsonataValue | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_count_dynamic: Path | JsonataValue | None = None
    tolerated_failure_percentage: float | None = None
    tolerated_failure_percentage_dynamic: Path | JsonataValue | None = None
    label: str | None = None
    item_reader: ItemReader | None = None
    item_batcher: ItemBatcher | None = None
    result_writer: ResultWriter | None = None


State: TypeAlias = (
    "PassState | TaskState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState"
)


@dataclass(frozen=True, slots=True)
class Block:
    """A ``StartAt`` + ``States`` pair: the machine's top level, a Parallel branch or a Map processor.

    Attributes:
        start_at: the first state's name.
        states: state name → compiled state, in definition order (read-only mapping).
        pointer: JSON pointer of the block (``""`` for the root, ``/States/P/Branches/0``...).
    """

    start_at: str
    states: Mapping[str, State]
    pointer: str = ""
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A compiled state machine.

    Attributes:
        root: the top-level block.
        query_language: the machine-level ``QueryLanguage`` (default JSONPath).
        timeout_seconds: the machine's ``TimeoutSeconds``, or None.
        definition: the definition as parsed (plain data; graphs and the API read it).
        all_states: every state of the machine, nested ones included, by name.
    """

    root: Block
    query_language: QueryLanguage = QueryLanguage.JSONPATH
    timeout_seconds: int | None = None
    comment: str | None = None
    version: str = "1.0"
    definition: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    all_states: Mapping[str, State] = field(default_factory=lambda: EMPTY)

    @property
    def start_at(self) -> str:
        """The name of the first state."""
        return self.root.start_at
