"""The TestState action: the request's members → ``Engine.test_state`` → the response shape.

Data members (``input``, ``variables``, ``context``, ``mock.result``,
``stateConfiguration.mapItemReaderData``) are JSON text on the wire, as botocore's model says.
"""

from __future__ import annotations

import json
from typing import Any

from sfnlocal.api.actions import ActionTable
from sfnlocal.api.errors import ApiError, wrong_type
from sfnlocal.api.shapes import Params
from sfnlocal.engine.teststate import StateConfiguration, StateMock
from sfnlocal.engine.validation import check_enum, validation_error

__all__ = ["TEST_STATE_ACTIONS"]

TEST_STATE_ACTIONS = ActionTable()

_VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")


async def _test_state(engine: Any, p: Params) -> dict[str, Any]:
    definition = p.string("definition")
    mock = _mock(p.members.get("mock"))
    result = await engine.test_state(
        definition, input=p.opt_string("input") or "{}", role_arn=p.opt_string("roleArn"),
        inspection_level=p.opt_string("inspectionLevel") or "INFO",
        reveal_secrets=p.flag("revealSecrets"), variables=p.opt_string("variables"),
        state_name=p.opt_string("stateName"), mock=mock, context=p.opt_string("context"),
        state_configuration=_configuration(p.members.get("stateConfiguration")),
    )
    shape: dict[str, Any] = result.to_aws()
    return shape


TEST_STATE_ACTIONS["TestState"] = _test_state


def _structure(value: Any, member: str) -> Params | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_type(member, value, "structure")
    return Params(value)


def _mock(value: Any) -> StateMock | None:
    """``mock``: exactly one of ``result`` (JSON text) and ``errorOutput {error, cause?}``."""
    p = _structure(value, "mock")
    if p is None:
        return None
    mode = p.opt_string("fieldValidationMode") or "STRICT"
    check_enum(mode, "mock.fieldValidationMode", _VALIDATION_MODES)
    text = p.opt_string("result")
    failure = _structure(p.members.get("errorOutput"), "mock.errorOutput")
    if (text is None) == (failure is None):
        raise ApiError("ValidationException",
                       "A mock must specify exactly one of 'result' and 'errorOutput'.")
    if failure is not None:
        error = failure.opt_string("error")
        if error is None:
            raise ApiError("ValidationException",
                           "The field 'error' is required when mock.errorOutput is specified.")
        return StateMock(error=error, cause=failure.opt_string("cause"),
                         field_validation_mode=mode)
    return StateMock(result=_json(text, "mock.result"),
                     field_validation_mode=mode)


def _configuration(value: Any) -> StateConfiguration | None:
    p = _structure(value, "stateConfiguration")
    if p is None:
        return None
    retries = _non_negative(p, "retrierRetryCount")
    failures = _non_negative(p, "mapIterationFailureCount")
    data = p.opt_string("mapItemReaderData")
    return StateConfiguration(
        retrier_retry_count=retries or 0, error_caused_by_state=p.opt_string("errorCausedByState"),
        map_iteration_failure_count=failures,
        map_item_reader_data=None if data is None else _json(data, "mapItemReaderData"),
    )


def _non_negative(p: Params, name: str) -> int | None:
    value = p.opt_int(name)
    if value is not None and value < 0:
        raise validation_error(value, f"stateConfiguration.{name}",
                               "have value greater than or equal to 0")
    return value


def _json(text: str | None, member: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ApiError("ValidationException",
                       f"The {member} member must be valid JSON text.") from None
