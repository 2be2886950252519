"""Checks of names, ARNs and parameters given to the API, with AWS's error codes and messages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sfnlocal.errors import ServiceError

__all__ = [
    "ALIAS_NAME_PATTERN",
    "EXECUTION_STATUSES",
    "STATE_MACHINE_TYPES",
    "check_alias_arn",
    "check_arn",
    "check_enum",
    "check_max_results",
    "check_name",
    "check_version_arn",
    "is_alias_name",
    "is_valid_name",
    "split_state_machine_arn",
    "split_test_case",
    "validation_error",
]

STATE_MACHINE_TYPES = ("STANDARD", "EXPRESS")
# In the order AWS lists them in its ValidationException.
EXECUTION_STATUSES = ("SUCCEEDED", "TIMED_OUT", "PENDING_REDRIVE", "ABORTED", "FAILED", "RUNNING")

# Whitespace, brackets, wildcards, specials and control characters (checklist §14).
_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]")


def is_valid_name(name: str) -> bool:
    """True for a valid state machine, execution or activity name (1 to 80 allowed characters)."""
    return 0 < len(name) <= 80 and _FORBIDDEN.search(name) is None


def check_name(name: str) -> None:
    """Raise ``InvalidName`` for a name AWS refuses."""
    if not isinstance(name, str) or not is_valid_name(name):
        raise ServiceError("InvalidName", f"Invalid Name: '{name}'")


_ARN = re.compile(r"^arn:[\w-]+:states:[\w-]+:\d{12}:(?P<kind>[A-Za-z]+):.+$")


def check_arn(arn: str, kind: str) -> None:
    """Raise ``InvalidArn`` unless ``arn`` is a Step Functions ARN of the given resource kind.

    An Express execution ARN (``...:express:...``) where an execution is expected gives AWS's
    ``Invalid Arn: 'Resource type not valid in this context: express'``.
    """
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise ServiceError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    match = _ARN.match(arn)
    found = arn if match is None else match.group("kind")
    if found != kind:
        raise ServiceError(
            "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {found}'"
        )


# The alias name pattern of AWS's API model: at least one non-digit, so never a version number.
ALIAS_NAME_PATTERN = r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$"
_ALIAS_NAME = re.compile(ALIAS_NAME_PATTERN)
_BASE_PARTS = 7  # arn:aws:states:<region>:<account>:stateMachine:<name>


def split_state_machine_arn(arn: str) -> tuple[str, str | None]:
    """A state machine ARN as (the machine's ARN, the version number or alias name or None).

    ``...:stateMachine:<name>`` is the machine itself; ``...:stateMachine:<name>:<n>`` a version
    and ``...:stateMachine:<name>:<alias>`` an alias.

    Raises:
        ServiceError: ``InvalidArn`` for an ARN of another kind or with empty or extra parts.
    """
    check_arn(arn, "stateMachine")
    parts = arn.split(":")
    if len(parts) > _BASE_PARTS + 1 or not all(parts[_BASE_PARTS - 1:]):
        raise ServiceError("InvalidArn", f"Invalid Arn: 'Invalid state machine ARN: {arn}'")
    if len(parts) == _BASE_PARTS:
        return arn, None
    return ":".join(parts[:_BASE_PARTS]), parts[_BASE_PARTS]


def check_version_arn(arn: str) -> tuple[str, int]:
    """A version ARN as (the machine's ARN, the version number).

    Raises:
        ServiceError: ``InvalidArn`` unless ``arn`` is ``<state machine ARN>:<number>``.
    """
    base, qualifier = split_state_machine_arn(arn)
    if qualifier is None or not qualifier.isdigit():
        raise ServiceError("InvalidArn",
                           f"Invalid Arn: 'Invalid state machine version ARN: {arn}'")
    return base, int(qualifier)


def check_alias_arn(arn: str) -> tuple[str, str]:
    """An alias ARN as (the machine's ARN, the alias name).

    Raises:
        ServiceError: ``InvalidArn`` unless ``arn`` is ``<state machine ARN>:<alias name>``.
    """
    base, qualifier = split_state_machine_arn(arn)
    if qualifier is None or not is_alias_name(qualifier):
        raise ServiceError("InvalidArn", f"Invalid Arn: 'Invalid state machine alias ARN: {arn}'")
    return base, qualifier


def is_alias_name(name: str) -> bool:
    """True for a valid alias name (1 to 80 characters of AWS's pattern, not only digits)."""
    return len(name) <= 80 and _ALIAS_NAME.match(name) is not None


def split_test_case(state_machine_arn: str) -> tuple[str, str | None]:
    """``(arn, test case)`` of ``arn#TestCase`` (a mock file's test case); ``(arn, None)`` otherwise."""
    arn, sep, case = state_machine_arn.partition("#")
    return (arn, case) if sep else (state_machine_arn, None)


def validation_error(value: object, member: str, constraint: str) -> ServiceError:
    """AWS's ``ValidationException`` for one member that breaks one constraint."""
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}",
    )


def check_enum(value: str, member: str, allowed: Sequence[str]) -> None:
    """Raise ``ValidationException`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise validation_error(value, member, f"satisfy enum value set: [{', '.join(allowed)}]")


def check_max_results(value: int, limit: int = 1000) -> None:
    """Raise ``ValidationException`` for a ``maxResults`` outside ``0..limit``."""
    if value > limit:
        raise validation_error(value, "maxResults", f"have value less than or equal to {limit}")
    if value < 0:
        raise validation_error(value, "maxResults", "have value greater than or equal to 0")
