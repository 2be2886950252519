"""The Lambda API's wire shapes: errors, request members and ``FunctionConfiguration``.

Errors are what Lambda's REST-JSON protocol sends: the HTTP status of the error shape, an
``x-amzn-ErrorType: <code>`` header and a JSON body ``{"Type": "User", "message": ...}``
(``"Message"`` for the shapes that spell it so: ``ResourceNotFoundException``,
``ServiceException``). Constraint violations of the service model are ``ValidationException``
with AWS's "1 validation error detected" text; a member of the wrong JSON type, or a body that is
not JSON, is ``InvalidRequestContentException``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from sfnlocal.integrations.lambda_ import LambdaFunction
from sfnlocal.integrations.lambda_config import FunctionConfig

__all__ = [
    "LambdaApiError",
    "archive_of",
    "check_function_name",
    "check_runtime",
    "check_tags",
    "code_location",
    "configuration",
    "error_body",
    "invalid_content",
    "invalid_parameter",
    "lambda_error",
    "local_python",
    "member",
    "not_found",
    "validation",
]

FUNCTION_NAME = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-"
                 r"\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
NAMESPACED_NAME = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-"
                   r"[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)"
                   r"(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")
ROLE = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
PYTHON_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12",
                   "python3.13", "python3.14", "python3.15")
RETIRED_RUNTIMES = ("python2.7", "python3.6", "python3.7")
OTHER_RUNTIMES = (
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x",
    "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "nodejs26.x", "java8",
    "java8.al2", "java11", "java17", "java21", "java25", "java8.al2023", "java11.al2023",
    "java17.al2023", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
    "dotnet6", "dotnet8", "dotnet10", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7",
    "ruby3.2", "ruby3.3", "ruby3.4", "ruby4.0", "provided", "provided.al2", "provided.al2023",
    "custom",
)
_SHAPES_WITH_CAPITAL_MESSAGE = ("ResourceNotFoundException", "ServiceException")
_ARCHIVES: dict[str, Path] = {}
_DIGESTS: dict[tuple[str, int, int], tuple[str, str, int]] = {}


class LambdaApiError(Exception):
    """A request Lambda refuses: the error code, its message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{code}: {message}")


def error_body(code: str, message: str, status: int) -> dict[str, str]:
    """The JSON body of an error (``Type`` is ``User`` for a client's fault, else ``Service``)."""
    key = "Message" if code in _SHAPES_WITH_CAPITAL_MESSAGE else "message"
    return {"Type": "User" if status < 500 else "Service", key: message}


def lambda_error(code: str, message: str, status: int = 400) -> web.Response:
    """An error response as Lambda sends it (status, ``x-amzn-ErrorType``, JSON body)."""
    return web.Response(status=status, text=json.dumps(error_body(code, message, status)),
                        content_type="application/json",
                        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())})


def not_found(arn: str) -> LambdaApiError:
    """``ResourceNotFoundException`` for a function ARN nobody serves."""
    return LambdaApiError("ResourceNotFoundException", f"Function not found: {arn}", 404)


def invalid_parameter(message: str) -> LambdaApiError:
    """``InvalidParameterValueException`` (HTTP 400)."""
    return LambdaApiError("InvalidParameterValueException", message)


def invalid_content(message: str) -> LambdaApiError:
    """``InvalidRequestContentException``: the body is not JSON, or a member has the wrong type."""
    return LambdaApiError("InvalidRequestContentException",
                          f"Could not parse request body into json: {message}")


def validation(value: Any, member_name: str, constraint: str) -> LambdaApiError:
    """``ValidationException`` for a value outside the service model's constraints."""
    return LambdaApiError("ValidationException", f"1 validation error detected: Value '{value}' at "
                          f"'{member_name}' failed to satisfy constraint: {constraint}")


# -- request members -------------------------------------------------------------------------------

_TYPES: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a string"), "integer": (int, "an integer"), "object": (dict, "an object"),
    "boolean": (bool, "a boolean"),
}


def member(body: Mapping[str, Any], name: str, kind: str, *, required: bool = False) -> Any:
    """The member ``name`` of a request body, checked to be of JSON type ``kind`` (None: absent).

    Raises:
        LambdaApiError: ``ValidationException`` for an absent required member,
            ``InvalidRequestContentException`` for one of the wrong type.
    """
    value = body.get(name)
    if value is None:
        if required:
            raise validation("null", _camel(name), "Member must not be null")
        return None
    python_type, text = _TYPES[kind]
    if not isinstance(value, python_type) or (kind == "integer" and isinstance(value, bool)):
        raise invalid_content(f"'{name}' must be {text}, not {json.dumps(value)[:100]}")
    return value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def check_function_name(text: str, *, namespaced: bool = True) -> str:
    """``text`` when it is a valid ``FunctionName`` (name, partial or full ARN).

    Raises:
        LambdaApiError: ``ValidationException`` naming the pattern or length it breaks.
    """
    pattern, longest = (NAMESPACED_NAME, 256) if namespaced else (FUNCTION_NAME, 140)
    if len(text) > longest:
        raise validation(text, "functionName",
                         f"Member must have length less than or equal to {longest}")
    if not re.fullmatch(pattern, text):
        raise validation(text, "functionName",
                         f"Member must satisfy regular expression pattern: {pattern}")
    return text


def check_runtime(runtime: str) -> str:
    """``runtime`` when the local interpreter can run it (a Python 3 runtime).

    Raises:
        LambdaApiError: ``ValidationException`` for a name Lambda does not know,
            ``InvalidParameterValueException`` for a retired or non-Python runtime.
    """
    if runtime in PYTHON_RUNTIMES:
        return runtime
    if runtime in RETIRED_RUNTIMES:
        raise invalid_parameter(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use a supported runtime while creating or "
            "updating functions.")
    if runtime in OTHER_RUNTIMES:
        raise invalid_parameter(
            f"The runtime {runtime} is not supported by sfnlocal: it runs Python functions only, "
            f"with its local interpreter (Python {local_python()}). Use one of: "
            f"{', '.join(PYTHON_RUNTIMES)}.")
    values = ", ".join((*OTHER_RUNTIMES, *RETIRED_RUNTIMES, *PYTHON_RUNTIMES))
    raise validation(runtime, "runtime", f"Member must satisfy enum value set: [{values}]")


def local_python() -> str:
    """The version of the interpreter that runs every function (``3.12.3``)."""
    return ".".join(str(part) for part in sys.version_info[:3])


_TAG_TEXT = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"
_TAG_CHARS = re.compile(r"[\w\s.:/=+\-@]*")  # Python's re has no \p{..}: \w and \s stand in


def check_tags(tags: Mapping[str, Any]) -> dict[str, str]:
    """``tags`` (a ``Tags`` map) when its keys and values fit the service model.

    Raises:
        LambdaApiError: ``InvalidRequestContentException`` for a value that is not a string,
            ``ValidationException`` for a key or value of the wrong length or characters.
    """
    for key, value in tags.items():
        if not isinstance(value, str):
            raise invalid_content(f"the value of tag '{key}' must be a string")
        if not 1 <= len(key) <= 128 or not _TAG_CHARS.fullmatch(key):
            raise validation(key, "tags", "Map keys must satisfy constraint: [Member must have "
                             "length less than or equal to 128, Member must have length greater "
                             "than or equal to 1, Member must satisfy regular expression pattern: "
                             f"{_TAG_TEXT}]")
        if len(value) > 256 or not _TAG_CHARS.fullmatch(value):
            raise validation(value, "tags", "Map value must satisfy constraint: [Member must have "
                             "length less than or equal to 256, Member must satisfy regular "
                             f"expression pattern: {_TAG_TEXT}]")
    return dict(tags)


# -- FunctionConfiguration -------------------------------------------------------------------------


def configuration(
    function: LambdaFunction, region: str, account: str, qualifier: str | None = None
) -> dict[str, Any]:
    """The ``FunctionConfiguration`` of ``function`` (``$LATEST`` or a published version).

    ``qualifier`` is the one the caller named (an alias...) for ``FunctionArn``; by default, a
    published version's number.
    """
    config = function.config or FunctionConfig(function.name, function.handler or "?")
    digest, size = _code_digest(config)
    if qualifier is None and function.version != "$LATEST":
        qualifier = function.version
    arn = f"arn:aws:lambda:{region}:{account}:function:{function.name}"
    arn += f":{qualifier}" if qualifier else ""
    shape: dict[str, Any] = {
        "FunctionName": function.name, "FunctionArn": arn, "Runtime": config.runtime,
        "Role": config.role or f"arn:aws:iam::{account}:role/service-role/{function.name}-role",
        "Handler": _handler_text(config), "CodeSize": size, "Description": config.description,
        "Timeout": math.ceil(config.timeout), "MemorySize": config.memory,
        "CodeSha256": digest, "Version": function.version,
        "TracingConfig": {"Mode": "PassThrough"}, "RevisionId": function.revision,
        "State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Zip",
        "Architectures": ["x86_64"], "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.name}"},
    }
    if function.modified is not None:
        shape["LastModified"] = _timestamp(function.modified)
    if config.environment:
        shape["Environment"] = {"Variables": dict(config.environment)}
    return shape


def _handler_text(config: FunctionConfig) -> str:
    handler = config.handler
    if isinstance(handler, str):
        return handler
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', '?')}"


def _timestamp(epoch: float) -> str:
    """Lambda's ``LastModified`` format: ``2024-01-02T03:04:05.678+0000``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _code_digest(config: FunctionConfig) -> tuple[str, int]:
    """(base64 SHA-256, size) of the function's deployment package (a zip or a ``.py`` file)."""
    code = config.code
    if code is None or code.suffix not in (".zip", ".py") or not code.is_file():
        return base64.b64encode(hashlib.sha256(b"").digest()).decode(), 0
    stat = code.stat()
    key = (str(code), stat.st_mtime_ns, stat.st_size)
    if key not in _DIGESTS:
        raw = hashlib.sha256(code.read_bytes()).digest()
        _DIGESTS[key] = (base64.b64encode(raw).decode(), raw.hex(), stat.st_size)
        if code.suffix == ".zip":
            _ARCHIVES[raw.hex()] = code
    digest, _, size = _DIGESTS[key]
    return digest, size


def code_location(config: FunctionConfig | None, base_url: str) -> str | None:
    """Where the function's zip can be downloaded (None: its code is not a zip archive)."""
    if config is None or config.code is None or config.code.suffix != ".zip":
        return None
    _code_digest(config)
    hex_digest = next((h for h, path in _ARCHIVES.items() if path == config.code), None)
    return None if hex_digest is None else f"{base_url}/sfnlocal/lambda-code/{hex_digest}.zip"


def archive_of(hex_digest: str) -> Path | None:
    """The zip archive whose SHA-256 is ``hex_digest`` (one a ``code_location`` handed out)."""
    path = _ARCHIVES.get(hex_digest)
    return path if path is not None and path.is_file() else None
