"""Task integrations: the seam between Task states and the services behind their resources.

``Registry`` maps resources to ``Integration`` objects (one async ``invoke(TaskRequest)`` method);
a fresh registry serves local Python functions as Lambda functions::

    registry = Registry()
    registry.register_lambda("greet", lambda event, context: {"hello": event["name"]})
    engine = Engine(integrations=registry)
"""

from __future__ import annotations

from sfnlocal.integrations.base import (
    AttemptHooks,
    Integration,
    PreparesParameters,
    RandomTokens,
    Registry,
    TaskContext,
    TaskRequest,
    TokenIssuer,
    UnknownResource,
)
from sfnlocal.integrations.lambda_ import LambdaContext, LambdaFunctions

__all__ = [
    "AttemptHooks",
    "Integration",
    "LambdaContext",
    "LambdaFunctions",
    "PreparesParameters",
    "RandomTokens",
    "Registry",
    "TaskContext",
    "TaskRequest",
    "TokenIssuer",
    "UnknownResource",
]
