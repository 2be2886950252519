"""UpdateStateMachine, the version actions and the alias actions (checklist §13).

Each handler reads its members with ``Params`` and calls the ``Engine`` (``sfnlocal.engine.versions``
holds the semantics); list actions page with ``sfnlocal.api.paging``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sfnlocal.api.actions import ActionTable
from sfnlocal.api.errors import missing_member, wrong_type
from sfnlocal.api.paging import list_response
from sfnlocal.api.shapes import Params
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.records import StateMachineRecord, aws_time
from sfnlocal.engine.versions import AliasRecord

__all__ = ["VERSION_ACTIONS"]

VERSION_ACTIONS = ActionTable()


_action = VERSION_ACTIONS.action


# -- revisions and versions -------------------------------------------------------------------


@_action("UpdateStateMachine")
async def _update_state_machine(engine: Engine, p: Params) -> dict[str, Any]:
    update = await engine.update_state_machine(
        p.string("stateMachineArn"), p.opt_string("definition"), p.opt_string("roleArn"),
        logging_configuration=_structure(p, "loggingConfiguration"),
        tracing_configuration=_structure(p, "tracingConfiguration"),
        publish=p.flag("publish"), version_description=p.opt_string("versionDescription"),
    )
    return update.to_aws()


@_action("PublishStateMachineVersion")
async def _publish_version(engine: Engine, p: Params) -> dict[str, Any]:
    version = await engine.publish_state_machine_version(
        p.string("stateMachineArn"), p.opt_string("revisionId"), p.opt_string("description"))
    return _version_item(version)


@_action("ListStateMachineVersions")
async def _list_versions(engine: Engine, p: Params) -> dict[str, Any]:
    arn = p.string("stateMachineArn")
    versions = await engine.list_state_machine_versions(arn)
    return list_response(p, "stateMachineVersions", versions, attrgetter("arn"), f"versions|{arn}",
                         _version_item)


@_action("DeleteStateMachineVersion")
async def _delete_version(engine: Engine, p: Params) -> dict[str, Any]:
    await engine.delete_state_machine_version(p.string("stateMachineVersionArn"))
    return {}


# -- aliases ----------------------------------------------------------------------------------


@_action("CreateStateMachineAlias")
async def _create_alias(engine: Engine, p: Params) -> dict[str, Any]:
    p.require("name", "routingConfiguration")
    alias = await engine.create_state_machine_alias(
        p.string("name"), _routing(p, required=True) or [], p.opt_string("description"))
    return alias.to_create_aws()


@_action("DescribeStateMachineAlias")
async def _describe_alias(engine: Engine, p: Params) -> dict[str, Any]:
    return (await engine.describe_state_machine_alias(p.string("stateMachineAliasArn"))).to_aws()


@_action("UpdateStateMachineAlias")
async def _update_alias(engine: Engine, p: Params) -> dict[str, Any]:
    alias = await engine.update_state_machine_alias(
        p.string("stateMachineAliasArn"), p.opt_string("description"), _routing(p))
    return {"updateDate": aws_time(alias.update_date)}


@_action("DeleteStateMachineAlias")
async def _delete_alias(engine: Engine, p: Params) -> dict[str, Any]:
    await engine.delete_state_machine_alias(p.string("stateMachineAliasArn"))
    return {}


@_action("ListStateMachineAliases")
async def _list_aliases(engine: Engine, p: Params) -> dict[str, Any]:
    arn = p.string("stateMachineArn")
    aliases = await engine.list_state_machine_aliases(arn)
    return list_response(p, "stateMachineAliases", aliases, attrgetter("arn"), f"aliases|{arn}",
                         AliasRecord.to_create_aws)


# -- helpers ----------------------------------------------------------------------------------


def _structure(p: Params, name: str) -> dict[str, Any] | None:
    """An optional object member (None when absent)."""
    value = p.members.get(name)
    if value is not None and not isinstance(value, dict):
        raise wrong_type(name, value, "structure")
    return value


def _routing(p: Params, required: bool = False) -> list[tuple[str, int]] | None:
    """``routingConfiguration`` as (version ARN, weight) pairs (None when optional and absent)."""
    items = p.opt_list("routingConfiguration")
    if items is None:
        if required:
            raise missing_member("routingConfiguration")
        return None
    return [_route(f"routingConfiguration.{i}.member", item) for i, item in enumerate(items, 1)]


def _route(member: str, item: Any) -> tuple[str, int]:
    if not isinstance(item, dict):
        raise wrong_type(member, item, "structure")
    arn, weight = item.get("stateMachineVersionArn"), item.get("weight")
    if arn is None:
        raise missing_member(f"{member}.stateMachineVersionArn")
    if weight is None:
        raise missing_member(f"{member}.weight")
    if not isinstance(arn, str):
        raise wrong_type(f"{member}.stateMachineVersionArn", arn, "string")
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise wrong_type(f"{member}.weight", weight, "integer")
    return arn, weight


def _version_item(version: StateMachineRecord) -> dict[str, Any]:
    """A version as PublishStateMachineVersion and ListStateMachineVersions show it."""
    return {"stateMachineVersionArn": version.arn, "creationDate": aws_time(version.creation_date)}
