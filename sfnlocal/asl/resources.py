"""Task ``Resource`` ARNs: parsing, and the table of AWS's optimized integrations.

An optimized integration is
``arn:<partition>:states:::<service>:<action>[.sync|.sync:2|.waitForTaskToken]``.
AWS rejects, at creation, a service/action pair it does not offer (``dynamodb:query`` is not an
optimized action; ``aws-sdk:dynamodb:query`` is). The table below lists the pairs and which patterns
each supports, from the Step Functions developer guide ("Integrating services").
"""

from __future__ import annotations

import re
from typing import Literal

from sfnlocal.asl.model import Pattern, Resource

__all__ = ["OPTIMIZED_INTEGRATIONS", "is_known_integration", "parse_resource"]

_RR = frozenset({Pattern.REQUEST_RESPONSE})
_RR_T = frozenset({Pattern.REQUEST_RESPONSE, Pattern.WAIT_FOR_TASK_TOKEN})
_RR_S = frozenset({Pattern.REQUEST_RESPONSE, Pattern.SYNC})
_ALL = frozenset({Pattern.REQUEST_RESPONSE, Pattern.SYNC, Pattern.WAIT_FOR_TASK_TOKEN})


def _table() -> dict[tuple[str, str], frozenset[Pattern]]:
    table: dict[tuple[str, str], frozenset[Pattern]] = {
        ("lambda", "invoke"): _RR_T,
        ("sqs", "sendMessage"): _RR_T,
        ("sns", "publish"): _RR_T,
        ("events", "putEvents"): _RR_T,
        ("apigateway", "invoke"): _RR_T,
        ("http", "invoke"): _RR,
        ("states", "startExecution"): frozenset(
            {Pattern.REQUEST_RESPONSE, Pattern.SYNC, Pattern.SYNC2, Pattern.WAIT_FOR_TASK_TOKEN}
        ),
        ("ecs", "runTask"): _ALL,
        ("batch", "submitJob"): _ALL,
        ("glue", "startJobRun"): _ALL,
        ("codebuild", "startBuild"): _ALL,
        ("athena", "startQueryExecution"): _ALL,
        ("databrew", "startJobRun"): _ALL,
        ("emr-serverless", "startJobRun"): _ALL,
        ("bedrock", "invokeModel"): _RR_T,
        ("s3", "getObject"): _RR,
        ("s3", "listObjectsV2"): _RR,
        ("s3", "putObject"): _RR,
        ("mediaconvert", "createJob"): _ALL,
        ("eks", "runJob"): _ALL,
        ("eks", "call"): _RR,
    }
    for action in ("getItem", "putItem", "updateItem", "deleteItem"):
        table[("dynamodb", action)] = _RR
    for action in ("stopExecution", "describeExecution"):
        table[("states", action)] = _RR
    for action in ("getQueryExecution", "getQueryResults", "stopQueryExecution",
                   "startQueryExecution"):
        table.setdefault(("athena", action), _RR)
    for action in ("createCluster", "terminateCluster", "addStep", "cancelStep",
                   "setClusterTerminationProtection", "modifyInstanceFleetByName",
                   "modifyInstanceGroupByName"):
        table[("elasticmapreduce", action)] = _RR_S
    for action in ("createTrainingJob", "createTransformJob", "createProcessingJob",
                   "createHyperParameterTuningJob", "createLabelingJob"):
        table[("sagemaker", action)] = _RR_S
    for action in ("createModel", "createEndpoint", "createEndpointConfig", "updateEndpoint"):
        table[("sagemaker", action)] = _RR
    for action in ("createCluster", "deleteCluster", "createNodegroup", "deleteNodegroup",
                   "createFargateProfile", "deleteFargateProfile"):
        table[("eks", action)] = _RR_S
    for action in ("createApplication", "startApplication", "stopApplication",
                   "deleteApplication", "cancelJobRun"):
        table[("emr-serverless", action)] = _RR_S
    for action in ("createVirtualCluster", "deleteVirtualCluster", "startJobRun"):
        table[("emr-containers", action)] = _RR_S
    table[("bedrock", "createModelCustomizationJob")] = _RR_S
    for action in ("batchGetBuilds", "batchDeleteBuilds", "stopBuild", "startBuildBatch",
                   "deleteBuildBatch", "stopBuildBatch", "retryBuildBatch"):
        table.setdefault(("codebuild", action), _RR_S)
    return table


OPTIMIZED_INTEGRATIONS: dict[tuple[str, str], frozenset[Pattern]] = _table()

_SUFFIXES = (
    (".sync:2", Pattern.SYNC2),
    (".sync", Pattern.SYNC),
    (".waitForTaskToken", Pattern.WAIT_FOR_TASK_TOKEN),
)

_ARN = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<svc>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$"
)


def _split_pattern(action: str) -> tuple[str, Pattern]:
    for suffix, pattern in _SUFFIXES:
        if action.endswith(suffix):
            return action[: -len(suffix)], pattern
    return action, Pattern.REQUEST_RESPONSE


def parse_resource(arn: str) -> Resource:
    """Parse a Task ``Resource``; anything unrecognised comes back with ``kind="unknown"``."""
    m = _ARN.match(arn)
    if m is None:
        return Resource(arn=arn, kind="unknown")
    part, svc, region, account, rest = m.group("partition", "svc", "region", "account", "rest")
    if svc == "lambda" and rest.startswith("function:"):
        return Resource(arn, "lambda", "lambda", "invoke", Pattern.REQUEST_RESPONSE, part, region,
                        account, rest[len("function:"):])
    if svc == "states" and rest.startswith("activity:"):
        return Resource(arn, "activity", "activity", "", Pattern.REQUEST_RESPONSE, part, region,
                        account, rest[len("activity:"):])
    if svc != "states" or region or account:
        return Resource(arn=arn, kind="unknown", partition=part, region=region, account=account)
    return _parse_integration(arn, part, rest)


def _parse_integration(arn: str, partition: str, rest: str) -> Resource:
    if rest.startswith("aws-sdk:"):
        service, _, action = rest[len("aws-sdk:"):].partition(":")
        action, pattern = _split_pattern(action)
        return Resource(arn, "sdk", f"aws-sdk:{service}", action, pattern, partition)
    service, _, action = rest.partition(":")
    action, pattern = _split_pattern(action)
    is_http = (service, action) == ("http", "invoke")
    kind: Literal["http", "service"] = "http" if is_http else "service"
    return Resource(arn, kind, service, action, pattern, partition)


def is_known_integration(resource: Resource) -> bool:
    """True when AWS offers this optimized integration with this pattern.

    Always True for resources that are not optimized integrations (Lambda/activity ARNs, aws-sdk).
    """
    if resource.kind not in ("service", "http"):
        return True
    patterns = OPTIMIZED_INTEGRATIONS.get((resource.service, resource.action))
    return patterns is not None and resource.pattern in patterns
