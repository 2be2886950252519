"""The integration registry: lookup order and unknown resources."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sfnlocal.asl.resources import parse_resource
from sfnlocal.integrations import Registry, TaskRequest, UnknownResource
from sfnlocal.integrations.lambda_ import LambdaDirect, LambdaInvoke


class Stub:
    def __init__(self, name: str) -> None:
        self.name = name

    async def invoke(self, request: TaskRequest) -> Any:
        return self.name


FN = "arn:aws:lambda:us-east-1:111111111111:function:f"


def test_a_fresh_registry_serves_both_lambda_forms():
    registry = Registry()
    assert isinstance(registry.resolve(parse_resource(FN)), LambdaDirect)
    assert isinstance(registry.resolve(parse_resource("arn:aws:states:::lambda:invoke")), LambdaInvoke)


def test_exact_arn_wins_over_service_action_and_kind():
    registry = Registry()
    exact, generic = Stub("exact"), Stub("generic")
    registry.register("arn:aws:states:::sqs:sendMessage", exact)
    registry.register("sqs:sendMessage", generic)
    registry.register(FN, exact)
    assert registry.resolve(parse_resource("arn:aws:states:::sqs:sendMessage")) is exact
    assert registry.resolve(parse_resource("arn:aws-us-gov:states:::sqs:sendMessage")) is generic
    assert registry.resolve(parse_resource(FN)) is exact


def test_each_pattern_is_its_own_key():
    registry = Registry()
    registry.register("sqs:sendMessage", Stub("rr"))
    with pytest.raises(UnknownResource):
        registry.resolve(parse_resource("arn:aws:states:::sqs:sendMessage.waitForTaskToken"))
    with pytest.raises(UnknownResource):
        registry.resolve(parse_resource("arn:aws:states:::lambda:invoke.waitForTaskToken"))


def test_sdk_integrations_are_keyed_by_service_and_action():
    registry = Registry()
    stub = Stub("s3")
    registry.register("aws-sdk:s3:getObject", stub)
    assert registry.resolve(parse_resource("arn:aws:states:::aws-sdk:s3:getObject")) is stub


def test_activities_resolve_by_kind():
    registry = Registry()
    stub = Stub("activities")
    registry.register("activity", stub)
    resource = parse_resource("arn:aws:states:us-east-1:111111111111:activity:work")
    assert registry.resolve(resource) is stub


def test_unknown_resources_are_runtime_errors_naming_the_resource():
    with pytest.raises(UnknownResource) as raised:
        Registry().resolve(parse_resource("arn:aws:states:::sns:publish"))
    error = raised.value.at("T", 2)
    assert error.error == "States.Runtime"
    assert error.cause is not None
    assert error.cause.startswith(
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "The resource 'arn:aws:states:::sns:publish'")


class _Runtime:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)


def test_tokens_are_distinct_and_reproducible_with_the_same_random_source():
    tokens = Registry().tokens
    runtime = _Runtime(1)
    first, second = (tokens.issue(runtime, "T") for _ in range(2))  # type: ignore[arg-type]
    assert first != second
    assert tokens.issue(_Runtime(1), "T") == first  # type: ignore[arg-type]
