"""Fixtures of the server tests: a server thread and a boto3 Step Functions client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_server import ServerThread, client_of


@pytest.fixture
def server() -> Iterator[ServerThread]:
    running = ServerThread().start()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def sfn(server: ServerThread) -> Any:
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config

    return boto3.client(
        "stepfunctions", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}),
    )


@pytest.fixture
def sqs(server: ServerThread) -> Any:
    return client_of("sqs", server.url)


@pytest.fixture
def lambda_client(server: ServerThread) -> Any:
    return client_of("lambda", server.url)
