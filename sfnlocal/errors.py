"""The two error families of sfnlocal.

::

    SfnLocalError
    ├── ServiceError         an API call AWS would refuse: ``code`` (``ExecutionDoesNotExist``) + message
    ├── InvalidDefinition    a definition AWS would reject; carries Diagnostics (JSON-pointer locations)
    ├── StatesError          a runtime error with AWS's name and cause (``States.Runtime``, ``MyError``)
    │                        raised by states, integrations and expressions; caught by Retry/Catch
    └── EvaluationError      raised by expression evaluation without knowing the state; the state
                             runner turns it into a StatesError with AWS's cause prefix
                             ``An error occurred while executing the state '<S>' (entered at the
                             event id #<N>). ``

Translation to wire shapes (``{"__type": ..., "message": ...}``) happens only at the edges (API, CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfnlocal.asl.diagnostics import Diagnostic

__all__ = [
    "EvaluationError",
    "InvalidDefinition",
    "ServiceError",
    "SfnLocalError",
    "StatesError",
    "cause_prefix",
]


class SfnLocalError(Exception):
    """Base class of every error sfnlocal raises on purpose."""


class ServiceError(SfnLocalError):
    """An API request AWS would refuse, with AWS's error code and message.

    Args:
        code: AWS's exception name, e.g. ``ExecutionDoesNotExist``, ``InvalidArn``.
        message: AWS's message text.
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class InvalidDefinition(SfnLocalError):
    """A state machine definition that AWS would reject at CreateStateMachine.

    Attributes:
        diagnostics: the ERROR diagnostics, in the order AWS reports them.
    """

    code = "InvalidDefinition"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """AWS's message: ``Invalid State Machine Definition: '<CODE>: <msg> at <loc>, ...'``."""
        body = ", ".join(d.summary() for d in self.diagnostics)
        return f"Invalid State Machine Definition: '{body}'"


class StatesError(SfnLocalError):
    """A runtime error in AWS's vocabulary: an error name and an optional cause.

    Args:
        error: the error name, e.g. ``States.Runtime``, ``States.TaskFailed`` or a custom name.
        cause: the human-readable cause, or None when AWS has none.
    """

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        self.error = error
        self.cause = cause
        super().__init__(f"{error}: {cause}" if cause else str(error))

    def to_error_output(self) -> dict[str, str | None]:
        """The ``{"Error": ..., "Cause": ...}`` object that a Catch hands on."""
        return {"Error": self.error, "Cause": self.cause}


class EvaluationError(SfnLocalError):
    """An expression failed; the state that evaluated it is not known here.

    Args:
        error: the AWS error name (``States.Runtime``, ``States.QueryEvaluationError``,
            ``States.IntrinsicFailure``...).
        detail: the cause text without the state prefix.
        location: for JSONata, the field path (``Arguments/FunctionName``) for the EvaluationFailed event.
    """

    def __init__(self, error: str, detail: str, location: str | None = None) -> None:
        self.error = error
        self.detail = detail
        self.location = location
        super().__init__(f"{error}: {detail}")

    def at(self, state_name: str, entered_event_id: int) -> StatesError:
        """The StatesError AWS reports for this failure inside ``state_name``."""
        return StatesError(self.error, cause_prefix(state_name, entered_event_id) + self.detail)


def cause_prefix(state_name: str, entered_event_id: int) -> str:
    """AWS's prefix of runtime-failure causes (checklist "PFX")."""
    return (
        f"An error occurred while executing the state '{state_name}' "
        f"(entered at the event id #{entered_event_id}). "
    )
