"""What a Lambda function has besides ``$LATEST``: published versions, aliases and tags.

A ``Family`` holds them for one function name (``LambdaFunctions.family``). Versions are numbered
from 1 and never reuse a number, even once deleted. An ``Alias`` names a version (or ``$LATEST``)
and may send a share of the invocations to one more version (``weights``, AWS's
``RoutingConfig.AdditionalVersionWeights``): ``pick_version`` draws from the caller's seeded random
source, so a seeded engine routes the same invocations the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfnlocal.integrations.lambda_config import FunctionConfig

if TYPE_CHECKING:
    from sfnlocal.integrations.lambda_ import LambdaFunction

__all__ = ["LATEST", "Alias", "Family", "pick_version"]

LATEST = "$LATEST"


@dataclass(frozen=True, slots=True)
class Alias:
    """A function alias.

    Attributes:
        name: the alias name (not all digits).
        version: the version it invokes (``$LATEST`` or a number).
        description: its description.
        weights: more versions and the share of invocations (0 to 1) each receives.
        revision: a new id at each change (``RevisionId``).
    """

    name: str
    version: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)
    revision: str = ""


@dataclass(slots=True)
class Family:
    """The published versions, aliases and tags of one function.

    Attributes:
        versions: the published versions by number.
        sources: the ``$LATEST`` configuration each version was published from.
        last: the highest version number published so far.
        aliases: the aliases by name.
        tags: the function's tags.
    """

    versions: dict[int, LambdaFunction] = field(default_factory=dict)
    sources: dict[int, FunctionConfig] = field(default_factory=dict)
    last: int = 0
    aliases: dict[str, Alias] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def referencing(self, version: str) -> list[str]:
        """The names of the aliases that route to ``version`` (primary or weighted), sorted."""
        return sorted(a.name for a in self.aliases.values()
                      if a.version == version or version in a.weights)


def pick_version(alias: Alias, rng: Any) -> str:
    """The version an invocation of ``alias`` runs (``rng``: None picks the primary version)."""
    if rng is None or not alias.weights:
        return alias.version
    draw = rng.random()
    for version, weight in alias.weights.items():
        if draw < weight:
            return version
        draw -= weight
    return alias.version
