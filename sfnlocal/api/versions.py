"""UpdateStateMachine, the version actions and the alias actions (checklist §13).

Each handler reads its members with ``Params`` and calls the ``Engine`` (``sfnlocal.engine.versions``
holds the semantics); list actions page with ``sfnlocal.api.paging``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.errors import missing_member, wrong_type
from sfnlocal.api.paging import page
from sfnlocal.api.shapes import Params
from sfnlocal.engine.engine import Engine
from sfnlocal.engine.records import StateMachineRecord, aws_time
from sfnlocal.engine.versions import AliasRecord

__all__ = ["VERSION_ACTIONS"]

Handler = Callable[[Any, Params], Awaitable[dict[str, Any]]]
VERSION_ACTIONS: dict[str, Handler] = {}


def _action(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        VERSION_ACTIONS[name] = handler
        return handler
    return register


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
    chosen, token = page(versions, _arn_of, f"versions|{arn}", max_results=p.opt_int("maxResults"),
                         next_token=p.opt_string("nextToken"))
    return _listing("stateMachineVersions", [_version_item(v) for v in chosen], token)


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
    chosen, token = page(aliases, _alias_arn_of, f"aliases|{arn}",
                         max_results=p.opt_int("maxResults"), next_token=p.opt_string("nextToken"))
    return _listing("stateMachineAliases", [a.to_create_aws() for a in chosen], token)


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


def _arn_of(version: StateMachineRecord) -> str:
    return version.arn


def _alias_arn_of(alias: AliasRecord) -> str:
    return alias.arn


def _listing(member: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    response: dict[str, Any] = {member: items}
    if token is not None:
        response["nextToken"] = token
    return response
