"""Engine settings: the documented knobs that change AWS's defaults."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EngineSettings"]


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Behaviour switches of an ``Engine``.

    Attributes:
        history_limit: the most events a Standard execution's history may hold (AWS: 25,000). When
            the states of an execution would pass it, the execution fails with ``States.Runtime``
            ("The execution reached the maximum number of history events (25000).") and the
            ``ExecutionFailed`` event is the last one. None = unlimited: raise or lift it to run
            workloads such as a 10,000-item inline Map that AWS itself would refuse. Express
            executions have no limit (AWS keeps their history in CloudWatch Logs only).
        no_choice_error: the error of a Choice state with no match and no Default. AWS reports
            ``States.Runtime`` ("Failed to transition out of the state..."); the ASL spec names
            ``States.NoChoiceMatched``.
        region: the region in generated ARNs.
        account: the account id in generated ARNs.
        seed: seed of the random source behind execution names, ``States.UUID``,
            ``States.MathRandom`` and jitter, for reproducible runs; None = random.
    """

    history_limit: int | None = 25_000
    no_choice_error: str = "States.Runtime"
    region: str = "us-east-1"
    account: str = "123456789012"
    seed: int | None = None
