"""What an expression can see besides its input: the context object and the workflow variables."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["EMPTY_CONTEXT", "EvalContext"]

_EMPTY: Mapping[str, Any] = {}


class EvalContext:
    """The environment of one evaluation.

    Attributes:
        context: the context object, read by ``$$`` paths (JSONPath) and ``$states.context`` (JSONata).
            It may be given as a factory (``context_factory``) and is then built on first use only, so
            states whose expressions never read ``$$`` never pay for it.
        variables: the workflow variables visible to the state (``$name``), at state-entry values.
        rng: the seedable random source for ``States.MathRandom``/``States.UUID``/``$random``/``$uuid``.
    """

    __slots__ = ("_context", "_context_factory", "rng", "variables")

    def __init__(
        self,
        context: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        context_factory: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self._context = context
        self._context_factory = context_factory
        self.variables: Mapping[str, Any] = variables if variables is not None else _EMPTY
        self.rng = rng if rng is not None else random.Random()

    @property
    def context(self) -> Mapping[str, Any]:
        """The context object (built on first access when a factory was given)."""
        if self._context is None:
            factory = self._context_factory
            self._context = factory() if factory is not None else _EMPTY
        return self._context


EMPTY_CONTEXT = EvalContext()
