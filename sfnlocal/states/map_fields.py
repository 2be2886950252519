"""The Map fields evaluated at run time: MaxConcurrency, the items, the tolerated failures.

Each reads the Map's effective input (after InputPath) and variables, and reports a bad value as
AWS does, with ``States.Runtime`` and the state's cause prefix (added by ``translated``):

- ``The MaxConcurrencyPath field refers to value "<v>" which is not a valid integer: <path>``
- ``Reference path "<path>" must point to array.``
- ``The ToleratedFailureCountPath field refers to value "<v>" which is not a valid integer:
  <path>``, ``ToleratedFailureCount cannot be negative.``
- ``The ToleratedFailurePercentagePath field refers to value "<v>" which is not a valid float:
  <path>``, ``ToleratedFailurePercentage must be between 0 and 100.``

where ``<v>`` is a string as is and any other value as compact JSON. Numbers given as strings
(``"1"``) are accepted, as AWS does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sfnlocal.asl.model import ItemBatcher, MapState
from sfnlocal.engine.frames import Frame
from sfnlocal.engine.history import Data, to_json_text
from sfnlocal.errors import EvaluationError
from sfnlocal.expressions.context import EvalContext
from sfnlocal.expressions.jsonata import QUERY_EVALUATION_ERROR, JsonataScope, JsonataValue
from sfnlocal.expressions.jsonata_fields import (
    evaluate_array,
    evaluate_non_negative,
    evaluate_percentage,
)
from sfnlocal.expressions.jsonpath import Path
from sfnlocal.expressions.jsontext import compact_json
from sfnlocal.expressions.templates import Template
from sfnlocal.states import io
from sfnlocal.states.composite import EXPRESSION_ERRORS

__all__ = ["Tolerance", "batches", "items", "max_concurrency", "tolerance", "translated"]

Tolerance = tuple[int | None, float | None]
"""``(ToleratedFailureCount, ToleratedFailurePercentage)``; None where the Map sets neither form."""

_INT_MAX = 2**31 - 1
_INTEGER = re.compile(r"[+-]?\d+")


@contextmanager
def translated(state: MapState, frame: Frame) -> Iterator[None]:
    """Turn expression failures inside the block into the StatesError AWS reports for the Map."""
    try:
        yield
    except EXPRESSION_ERRORS as exc:
        raise io.translate(exc, state, frame) from None


def max_concurrency(state: MapState, data: Any, ctx: EvalContext) -> int:
    """The iteration limit (0 = none): ``MaxConcurrency`` or the ``MaxConcurrencyPath`` value."""
    dynamic = state.max_concurrency_dynamic
    if dynamic is None:
        return state.max_concurrency
    if isinstance(dynamic, JsonataValue):
        return evaluate_non_negative(dynamic, _scope(ctx, data))
    path = _path(dynamic)
    value = path.evaluate(data, ctx)
    number = _integer(value)
    if number is None or number < 0:
        raise _not_valid("MaxConcurrencyPath", value, "integer", path)
    return number


def items(state: MapState, data: Any, ctx: EvalContext) -> list[Any]:
    """The items: what ``ItemsPath`` (default ``$``) selects in the effective input; an array."""
    if state.is_jsonata:
        return _jsonata_items(state, data, ctx)
    path = state.items_path
    value = data if path is None else path.evaluate(data, ctx)
    if not isinstance(value, list):
        text = path.text if path is not None else "$"
        raise EvaluationError(io.RUNTIME, f'Reference path "{text}" must point to array.')
    return value


def _jsonata_items(state: MapState, data: Any, ctx: EvalContext) -> list[Any]:
    """JSONata ``Items`` (an array literal or an expression); absent: the input must be an array."""
    if isinstance(state.items, JsonataValue):
        return evaluate_array(state.items, _scope(ctx, data))
    if isinstance(state.items, list):
        return state.items
    if not isinstance(data, list):
        raise EvaluationError(QUERY_EVALUATION_ERROR,
                              f"Map state input must be an array but was: {compact_json(data)}",
                              location="Items")
    return data


def _scope(ctx: EvalContext, data: Any) -> JsonataScope:
    """The JSONata scope of a Map field: ``$states.input`` = the Map's input."""
    return JsonataScope.of(ctx, data)


def tolerance(state: MapState, data: Any, ctx: EvalContext) -> Tolerance:
    """The tolerated failure count and percentage, checked."""
    return _count(state, data, ctx), _percentage(state, data, ctx)


def batches(batcher: ItemBatcher, items: list[Any], data: Any, ctx: EvalContext) -> list[Any]:
    """``ItemBatcher``: ``{"BatchInput"?: ..., "Items": [...]}`` per batch, within both limits."""
    per_batch = _batch_limit(batcher.max_items_per_batch, batcher.max_items_per_batch_dynamic,
                             "MaxItemsPerBatchPath", data, ctx)
    max_bytes = _batch_limit(batcher.max_input_bytes_per_batch,
                             batcher.max_input_bytes_per_batch_dynamic,
                             "MaxInputBytesPerBatchPath", data, ctx)
    head: dict[str, Any] = {}
    if isinstance(batcher.batch_input, Template):
        head["BatchInput"] = batcher.batch_input.evaluate(data, ctx)
    elif isinstance(batcher.batch_input, JsonataValue):
        head["BatchInput"] = batcher.batch_input.evaluate_in(_scope(ctx, data))
    out: list[dict[str, Any]] = []
    for item in items:
        batch = out[-1]["Items"] if out else None
        if batch is None or len(batch) == per_batch or _too_big(head, batch, item, max_bytes):
            out.append({**head, "Items": []})
        out[-1]["Items"].append(item)
    return out


def _batch_limit(static: int | None, dynamic: Any, field: str, data: Any, ctx: EvalContext) -> int:
    """A batch limit (0 = none)."""
    if dynamic is None:
        return static or 0
    if isinstance(dynamic, JsonataValue):
        return evaluate_non_negative(dynamic, _scope(ctx, data))
    path = _path(dynamic)
    value = path.evaluate(data, ctx)
    number = _integer(value)
    if number is None or number < 0:
        raise _not_valid(field, value, "integer", path)
    return number


def _too_big(head: dict[str, Any], batch: list[Any], item: Any, max_bytes: int) -> bool:
    return bool(max_bytes) and Data({**head, "Items": [*batch, item]}).size > max_bytes


def _count(state: MapState, data: Any, ctx: EvalContext) -> int | None:
    dynamic = state.tolerated_failure_count_dynamic
    if dynamic is None:
        count = state.tolerated_failure_count
    elif isinstance(dynamic, JsonataValue):
        count = evaluate_non_negative(dynamic, _scope(ctx, data))
    else:
        path = _path(dynamic)
        value = path.evaluate(data, ctx)
        count = _integer(value)
        if count is None:
            raise _not_valid("ToleratedFailureCountPath", value, "integer", path)
    if count is not None and count < 0:
        raise EvaluationError(io.RUNTIME, "ToleratedFailureCount cannot be negative.")
    return count


def _percentage(state: MapState, data: Any, ctx: EvalContext) -> float | None:
    dynamic = state.tolerated_failure_percentage_dynamic
    if dynamic is None:
        percentage = state.tolerated_failure_percentage
    elif isinstance(dynamic, JsonataValue):
        percentage = evaluate_percentage(dynamic, _scope(ctx, data))
    else:
        path = _path(dynamic)
        value = path.evaluate(data, ctx)
        percentage = _float(value)
        if percentage is None:
            raise _not_valid("ToleratedFailurePercentagePath", value, "float", path)
    if percentage is not None and not 0 <= percentage <= 100:
        raise EvaluationError(io.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.")
    return percentage


def _path(dynamic: Any) -> Path:
    if not isinstance(dynamic, Path):
        raise EvaluationError(io.RUNTIME, f"Unsupported dynamic Map field: {dynamic!r}")
    return dynamic


def _integer(value: Any) -> int | None:
    """A 32-bit integer from a JSON integer or a string of one (None otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, int) and -_INT_MAX - 1 <= value <= _INT_MAX:
        return value
    return None


def _float(value: Any) -> float | None:
    """A finite number from a JSON number or a string of one (None otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _not_valid(field: str, value: Any, kind: str, path: Path) -> EvaluationError:
    shown = value if isinstance(value, str) else to_json_text(value)
    return EvaluationError(
        io.RUNTIME,
        f'The {field} field refers to value "{shown}" which is not a valid {kind}: {path.text}',
    )
