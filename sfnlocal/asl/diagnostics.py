"""Diagnostics shaped like ValidateStateMachineDefinition's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "INVALID_JSON_DESCRIPTION",
    "MISSING_END_STATE",
    "MISSING_TRANSITION_TARGET",
    "SCHEMA_VALIDATION_FAILED",
    "Diagnostic",
    "pointer",
]

Severity = Literal["ERROR", "WARNING"]

SCHEMA_VALIDATION_FAILED = "SCHEMA_VALIDATION_FAILED"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END_STATE = "MISSING_END_STATE"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a definition.

    Attributes:
        code: AWS's diagnostic code, e.g. ``SCHEMA_VALIDATION_FAILED``.
        message: the message without the location.
        location: a JSON pointer such as ``/States/MyState/Next``, or None when AWS gives none.
        severity: ``ERROR`` (the definition is rejected) or ``WARNING``.
    """

    code: str
    message: str
    location: str | None = None
    severity: Severity = "ERROR"

    def summary(self) -> str:
        """The text AWS puts in an InvalidDefinition message: ``CODE: message at location``."""
        if self.location is None:
            return f"{self.code}: {self.message}"
        return f"{self.code}: {self.message} at {self.location}"

    def to_aws(self) -> dict[str, str]:
        """The ValidateStateMachineDefinition shape of this diagnostic."""
        shape = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            shape["location"] = self.location
        return shape


def pointer(*parts: str | int) -> str:
    """Build a JSON pointer (RFC 6901) from path parts; ``pointer()`` is ``/``."""
    if not parts:
        return "/"
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped)
