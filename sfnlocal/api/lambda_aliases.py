"""The Lambda API's versions, aliases and tags (REST-JSON, on the server's endpoint).

- PublishVersion (``POST .../functions/{name}/versions``, 201): ``$LATEST`` becomes the next
  numbered version, an immutable snapshot of its code and configuration; when nothing changed
  since the last version, that version is returned. ``CodeSha256`` and ``RevisionId`` must match
  ``$LATEST`` when given. ListVersionsByFunction lists ``$LATEST`` then the versions.
- CreateAlias (201), GetAlias, UpdateAlias, DeleteAlias (204), ListAliases: an alias names a
  version or ``$LATEST``; ``RoutingConfig.AdditionalVersionWeights`` sends a share of the
  invocations to one more published version (drawn from the engine's seeded random source).
- TagResource (204), UntagResource (204), ListTags on function ARNs (``/2017-03-31/tags/{arn}``).

The functions, versions and aliases are the engine's (``engine.integrations.lambdas``), the ones
Task states invoke.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from sfnlocal.api.lambda_api import (
    _MAX_CONFIG,
    _arn,
    _body,
    _check_revision,
    _config_reply,
    _longest,
    _max_items,
    _publish,
    _reply,
)
from sfnlocal.api.lambda_shapes import (
    LambdaApiError,
    check_function_name,
    check_tags,
    configuration,
    invalid_content,
    invalid_parameter,
    member,
    not_found,
    validation,
)
from sfnlocal.engine.engine import Engine
from sfnlocal.integrations.lambda_ import FunctionRef, parse_function_name
from sfnlocal.integrations.lambda_versions import LATEST, Alias, Family

__all__ = ["add_alias_routes"]

_ROOT = "/2015-03-31/functions/{name}"
_TAGS = "/2017-03-31/tags/{arn}"
_ALIAS = r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
_VERSION = r"(\$LATEST|[0-9]+)"
_TAGGABLE = (r"arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:"
             r"\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:"
             r"csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
             r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|(capacity-provider|network-connector):"
             r"[a-zA-Z0-9-_]{1,64})")

Endpoint = Callable[[web.Request, Engine], Awaitable[web.StreamResponse]]
Serve = Callable[[Endpoint], Callable[[web.Request], Awaitable[web.StreamResponse]]]
T = TypeVar("T")


def add_alias_routes(router: web.UrlDispatcher, serve: Serve) -> None:
    """Register the version, alias and tag routes (``serve`` wraps each endpoint)."""
    router.add_post(_ROOT + "/versions", serve(_publish_version))
    router.add_get(_ROOT + "/versions", serve(_list_versions))
    router.add_post(_ROOT + "/aliases", serve(_create_alias))
    router.add_get(_ROOT + "/aliases", serve(_list_aliases))
    router.add_get(_ROOT + "/aliases/{alias}", serve(_get_alias))
    router.add_put(_ROOT + "/aliases/{alias}", serve(_update_alias))
    router.add_delete(_ROOT + "/aliases/{alias}", serve(_delete_alias))
    router.add_get(_TAGS, serve(_list_tags))
    router.add_post(_TAGS, serve(_tag))
    router.add_delete(_TAGS, serve(_untag))


def _no_content() -> web.Response:
    return web.Response(status=204, headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _function(request: web.Request, engine: Engine) -> str:
    """The name of the function the path names (its ``$LATEST`` must exist)."""
    ref = parse_function_name(check_function_name(request.match_info["name"]))
    if engine.integrations.lambdas.find(FunctionRef(ref.name)) is None:
        raise not_found(_arn(engine, FunctionRef(ref.name)))
    return ref.name


def _page(request: web.Request, items: Sequence[T]) -> tuple[Sequence[T], str | None]:
    """One page of ``items`` (``Marker``, ``MaxItems``) and the marker of the next one."""
    size = _max_items(request.query.get("MaxItems"))
    start = 0
    marker = request.query.get("Marker")
    if marker:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except (binascii.Error, ValueError):
            raise invalid_parameter(f"Invalid Marker: '{marker}'.") from None
    chosen = items[start:start + size]
    more = start + size < len(items)
    return chosen, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


# -- versions --------------------------------------------------------------------------------------


async def _publish_version(request: web.Request, engine: Engine) -> web.Response:
    name = _function(request, engine)
    body = await _body(request, _MAX_CONFIG, "PublishVersion")
    latest = engine.integrations.lambdas.find(FunctionRef(name))
    assert latest is not None
    _check_revision(body, latest)
    settings = engine.settings
    current = configuration(latest, settings.region, settings.account)["CodeSha256"]
    expected = member(body, "CodeSha256", "string")
    if expected is not None and expected != current:
        raise invalid_parameter(f"CodeSHA256 ({expected}) is different from current CodeSHA256 "
                                f"in $LATEST ({current}). Please try again with the CodeSHA256 "
                                "in $LATEST.")
    description = member(body, "Description", "string")
    if description is not None:
        _longest(description, "description", 256)
    return _config_reply(engine, _publish(engine, name, description), 201)


async def _list_versions(request: web.Request, engine: Engine) -> web.Response:
    ref = parse_function_name(check_function_name(request.match_info["name"]))
    versions = engine.integrations.lambdas.versions(ref.name)
    if not versions:
        raise not_found(_arn(engine, FunctionRef(ref.name)))
    chosen, marker = _page(request, versions)
    settings = engine.settings
    listing: dict[str, Any] = {"Versions": [
        configuration(v, settings.region, settings.account) for v in chosen]}
    if marker is not None:
        listing["NextMarker"] = marker
    return _reply(engine, listing)


# -- aliases ---------------------------------------------------------------------------------------


def _alias_name(name: str) -> str:
    if len(name) > 128:
        raise validation(name, "name", "Member must have length less than or equal to 128")
    if not re.fullmatch(_ALIAS, name):
        raise validation(name, "name", f"Member must satisfy regular expression pattern: {_ALIAS}")
    return name


def _version(version: str, member_name: str = "functionVersion") -> str:
    if len(version) > 1024:
        raise validation(version, member_name, "Member must have length less than or equal to 1024")
    if not re.fullmatch(_VERSION, version):
        raise validation(version, member_name,
                         f"Member must satisfy regular expression pattern: {_VERSION}")
    return version


def _weights(routing: dict[str, Any]) -> dict[str, float]:
    """``RoutingConfig.AdditionalVersionWeights``: version → weight (0 to 1), one at most."""
    weights = member(routing, "AdditionalVersionWeights", "object") or {}
    for version, weight in weights.items():
        if not re.fullmatch(r"[0-9]+", version) or len(version) > 1024:
            raise validation(version, "routingConfig.additionalVersionWeights", "Map keys must "
                             "satisfy constraint: [Member must satisfy regular expression "
                             "pattern: [0-9]+]")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise invalid_content(f"the weight of version {version} must be a number")
        if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
            raise validation(weight, "routingConfig.additionalVersionWeights", "Map value must "
                             "satisfy constraint: [Member must have value less than or equal to "
                             "1.0, Member must have value greater than or equal to 0.0]")
    if len(weights) > 1:
        raise invalid_parameter("Number of items in AdditionalVersionWeights cannot be greater "
                                "than 1")
    return {version: float(weight) for version, weight in weights.items()}


def _check_targets(engine: Engine, name: str, version: str, weights: dict[str, float]) -> None:
    """The alias's versions exist; weights route from a published version to another one."""
    functions = engine.integrations.lambdas
    for target in (version, *weights):
        if functions.find(FunctionRef(name, target)) is None:
            raise not_found(_arn(engine, FunctionRef(name, target)))
    if weights and version == LATEST:
        raise invalid_parameter("$LATEST is not supported for an alias pointing to more than 1 "
                                "version")
    if version in weights:
        raise invalid_parameter(f"Invalid function version {version}. Function version {version} "
                                "is already included in routing configuration.")


def _alias_shape(engine: Engine, name: str, alias: Alias) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "AliasArn": _arn(engine, FunctionRef(name, alias.name)), "Name": alias.name,
        "FunctionVersion": alias.version, "Description": alias.description,
        "RevisionId": alias.revision,
    }
    if alias.weights:
        shape["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return shape


def _existing_alias(request: web.Request, engine: Engine) -> tuple[str, Family, Alias]:
    name = _function(request, engine)
    alias_name = _alias_name(request.match_info["alias"])
    family = engine.integrations.lambdas.family(name)
    alias = family.aliases.get(alias_name)
    if alias is None:
        arn = _arn(engine, FunctionRef(name, alias_name))
        raise LambdaApiError("ResourceNotFoundException", f"Cannot find alias arn: {arn}", 404)
    return name, family, alias


async def _create_alias(request: web.Request, engine: Engine) -> web.Response:
    name = _function(request, engine)
    body = await _body(request, _MAX_CONFIG, "CreateAlias")
    alias_name = _alias_name(member(body, "Name", "string", required=True))
    version = _version(member(body, "FunctionVersion", "string", required=True))
    description = _longest(member(body, "Description", "string") or "", "description", 256)
    weights = _weights(member(body, "RoutingConfig", "object") or {})
    _check_targets(engine, name, version, weights)
    functions = engine.integrations.lambdas
    if alias_name in functions.family(name).aliases:
        arn = _arn(engine, FunctionRef(name, alias_name))
        raise LambdaApiError("ResourceConflictException", f"Alias already exists: {arn}", 409)
    alias = Alias(alias_name, version, description, weights, str(uuid.uuid4()))
    functions.set_alias(name, alias)
    return _reply(engine, _alias_shape(engine, name, alias), 201)


async def _get_alias(request: web.Request, engine: Engine) -> web.Response:
    name, _, alias = _existing_alias(request, engine)
    return _reply(engine, _alias_shape(engine, name, alias))


async def _update_alias(request: web.Request, engine: Engine) -> web.Response:
    name, _, alias = _existing_alias(request, engine)
    body = await _body(request, _MAX_CONFIG, "UpdateAlias")
    revision = member(body, "RevisionId", "string")
    if revision is not None and revision != alias.revision:
        raise LambdaApiError("PreconditionFailedException", "The Revision Id provided does not "
                             "match the latest Revision Id. Call the GetFunction/GetAlias API to "
                             "retrieve the latest Revision Id", 412)
    version = member(body, "FunctionVersion", "string")
    description = member(body, "Description", "string")
    routing = member(body, "RoutingConfig", "object")
    updated = Alias(
        alias.name, alias.version if version is None else _version(version),
        alias.description if description is None else _longest(description, "description", 256),
        alias.weights if routing is None else _weights(routing), str(uuid.uuid4()))
    _check_targets(engine, name, updated.version, dict(updated.weights))
    engine.integrations.lambdas.set_alias(name, updated)
    return _reply(engine, _alias_shape(engine, name, updated))


async def _delete_alias(request: web.Request, engine: Engine) -> web.Response:
    name = _function(request, engine)
    alias_name = _alias_name(request.match_info["alias"])
    engine.integrations.lambdas.family(name).aliases.pop(alias_name, None)
    return _no_content()


async def _list_aliases(request: web.Request, engine: Engine) -> web.Response:
    name = _function(request, engine)
    aliases = engine.integrations.lambdas.aliases(name)
    version = request.query.get("FunctionVersion")
    if version is not None:
        _version(version)
        aliases = [a for a in aliases if a.version == version or version in a.weights]
    chosen, marker = _page(request, aliases)
    listing: dict[str, Any] = {"Aliases": [_alias_shape(engine, name, a) for a in chosen]}
    if marker is not None:
        listing["NextMarker"] = marker
    return _reply(engine, listing)


# -- tags ------------------------------------------------------------------------------------------


def _tagged(request: web.Request, engine: Engine) -> dict[str, str]:
    """The tags of the function the path's ARN names (a function of this engine)."""
    arn = request.match_info["arn"]
    if len(arn) > 10000:
        raise validation(arn, "resource", "Member must have length less than or equal to 10000")
    if not re.fullmatch(_TAGGABLE, arn):
        raise validation(arn, "resource",
                         f"Member must satisfy regular expression pattern: {_TAGGABLE}")
    parts = arn.split(":")
    if parts[5] != "function":
        raise LambdaApiError("ResourceNotFoundException", f"Resource not found: {arn} (sfnlocal "
                             "tags functions only)", 404)
    if len(parts) > 7:
        raise invalid_parameter("Tags on function aliases and versions are not supported. Please "
                                "specify a function ARN.")
    settings = engine.settings
    functions = engine.integrations.lambdas
    here = (parts[3], parts[4]) == (settings.region, settings.account)
    if not here or functions.find(FunctionRef(parts[6])) is None:
        raise not_found(arn)
    return functions.family(parts[6]).tags


async def _list_tags(request: web.Request, engine: Engine) -> web.Response:
    return _reply(engine, {"Tags": dict(_tagged(request, engine))})


async def _tag(request: web.Request, engine: Engine) -> web.Response:
    tags = _tagged(request, engine)
    body = await _body(request, _MAX_CONFIG, "TagResource")
    tags.update(check_tags(member(body, "Tags", "object", required=True)))
    return _no_content()


async def _untag(request: web.Request, engine: Engine) -> web.Response:
    tags = _tagged(request, engine)
    keys = request.query.getall("tagKeys", [])
    if not keys:
        raise validation("null", "tagKeys", "Member must not be null")
    for key in keys:
        tags.pop(key, None)
    return _no_content()
