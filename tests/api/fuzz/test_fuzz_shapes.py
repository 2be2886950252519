"""The fuzzers' shared parts (``fuzz_shapes``) check themselves."""

from __future__ import annotations

import pytest
from fuzz_shapes import json_body, members_of, service_model


@pytest.mark.parametrize("service", ["stepfunctions", "sqs", "lambda"])
def test_every_operation_has_a_strategy(service):
    model = service_model(service)
    for op in model.operation_names:
        example = json_body(model, op)
        assert example is not None
        assert members_of(model, op)


def test_the_guards_hold_on_a_fresh_server(world):
    world.assert_untouched()
