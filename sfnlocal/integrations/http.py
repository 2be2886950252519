"""The HTTP task, ``arn:aws:states:::http:invoke`` (checklist §10.1), over aiohttp's client.

Parameters (AWS's names): ``ApiEndpoint`` and ``Method`` (required), ``Headers``,
``QueryParameters``, ``RequestBody`` (sent as JSON, or form-encoded when
``Transform.RequestBodyEncoding`` is ``URL_ENCODED``, with arrays written as
``Transform.RequestEncodingOptions.ArrayFormat`` says: ``INDICES`` (default), ``REPEAT``, ``COMMAS``
or ``BRACKETS``) and ``Authentication.ConnectionArn``.

There are no EventBridge connections locally: a ``ConnectionArn`` is accepted and ignored, unless
the integration was given a table of local ``Connection`` objects, whose headers and query
parameters are then added to the request.

The result is ``{"Headers": {name: [values]}, "ResponseBody": <JSON or text>, "StatusCode": 200,
"StatusText": "OK"}``. A non-2xx answer fails with ``States.Http.StatusCode.<code>`` and that same
shape (as JSON) as the cause; redirects are not followed. A request that cannot reach the server
fails with ``States.Http.Socket``. The Task's ``TimeoutSeconds`` bounds the call; the virtual clock
is held (``clock.busy()``) while the request is in flight.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from sfnlocal.engine.history import to_json_text
from sfnlocal.errors import StatesError

if TYPE_CHECKING:
    from sfnlocal.integrations.base import TaskRequest

__all__ = ["Connection", "HttpInvoke", "url_encode"]

_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
_ARRAY_FORMATS = frozenset({"INDICES", "REPEAT", "COMMAS", "BRACKETS"})
_JSON = "application/json; charset=UTF-8"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Connection:
    """A local stand-in for an EventBridge connection: what it adds to each request.

    Attributes:
        headers: header name → value (e.g. ``Authorization``).
        query_parameters: query parameter name → value.
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    query_parameters: Mapping[str, str] = field(default_factory=dict)


class HttpInvoke:
    """``http:invoke``: one HTTP request per attempt.

    Args:
        connections: optional local connections by ``ConnectionArn``; unknown ARNs are ignored.
        max_seconds: a wall-clock bound on one request (a socket that never answers), in seconds.
    """

    def __init__(self, connections: Mapping[str, Connection] | None = None,
                 max_seconds: float = 60.0) -> None:
        self.connections = dict(connections or {})
        self.max_seconds = max_seconds

    async def invoke(self, request: TaskRequest) -> Any:
        """Send the request; return AWS's result shape.

        Raises:
            StatesError: ``States.Http.StatusCode.<code>`` for a non-2xx answer,
                ``States.Http.Socket`` when the server cannot be reached, ``States.Runtime`` for
                invalid parameters.
        """
        params = request.parameters if isinstance(request.parameters, dict) else {}
        method, url = _target(params)
        headers, query = self._headers_and_query(params)
        body = _body(params, headers)
        async with request.context.clock.busy():
            result = await self._send(method, url, headers, query, body)
        inspection = request.context.runtime.inspection
        if inspection is not None:  # TestState at TRACE level shows the exchange
            secrets = None if inspection.get("reveal_secrets") else self._connection(params)
            inspection.update(_trace(method, url, headers, query, body, result, secrets))
        if not 200 <= result["StatusCode"] < 300:
            raise StatesError(f"States.Http.StatusCode.{result['StatusCode']}", to_json_text(result))
        return result

    def _headers_and_query(
        self, params: Mapping[str, Any],
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        headers = {str(k): _text(v) for k, v in _object(params, "Headers").items()}
        query = _query(_object(params, "QueryParameters"))
        connection = self._connection(params)
        if connection is not None:
            headers.update(connection.headers)
            query.extend(connection.query_parameters.items())
        return headers, query

    def _connection(self, params: Mapping[str, Any]) -> Connection | None:
        """The local connection named by ``Authentication.ConnectionArn``, if any."""
        auth = params.get("Authentication")
        arn = auth.get("ConnectionArn") if isinstance(auth, dict) else None
        return self.connections.get(arn) if isinstance(arn, str) else None

    async def _send(
        self, method: str, url: str, headers: dict[str, str], query: list[tuple[str, str]],
        body: bytes | None,
    ) -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=self.max_seconds)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.request(
                    method, url, headers=headers, params=query or None, data=body,
                    allow_redirects=False) as response:
                text = await response.text(errors="replace")
                return _result(response, text)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            raise StatesError("States.Http.Socket",
                              f"Failed to connect to {url}: {type(exc).__name__}: {exc}") from exc


def _target(params: Mapping[str, Any]) -> tuple[str, str]:
    url, method = params.get("ApiEndpoint"), params.get("Method")
    if not isinstance(url, str) or not url:
        raise StatesError("States.Runtime", "The HTTP task needs an ApiEndpoint string.")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise StatesError("States.Runtime", f"The HTTP task Method must be one of "
                          f"{', '.join(sorted(_METHODS))}; got {to_json_text(method)}.")
    return method.upper(), url


def _object(params: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StatesError("States.Runtime", f"The HTTP task {name} must be a JSON object.")
    return value


def _text(value: Any) -> str:
    """A header or query value: strings as they are, other JSON values as JSON text."""
    return value if isinstance(value, str) else to_json_text(value)


def _query(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        pairs.extend((str(name), _text(item)) for item in items)
    return pairs


def _body(params: Mapping[str, Any], headers: dict[str, str]) -> bytes | None:
    """The encoded ``RequestBody``; sets Content-Type unless the caller did."""
    if "RequestBody" not in params:
        return None
    body = params["RequestBody"]
    transform = _object(params, "Transform")
    encoding = transform.get("RequestBodyEncoding", "NONE")
    if encoding not in ("NONE", "URL_ENCODED"):
        raise StatesError("States.Runtime", "The HTTP task Transform.RequestBodyEncoding must be "
                          f"NONE or URL_ENCODED; got {to_json_text(encoding)}.")
    if encoding == "NONE":
        _default_header(headers, _JSON)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    _default_header(headers, _FORM)
    if isinstance(body, str):
        return body.encode()
    options = transform.get("RequestEncodingOptions")
    fmt = options.get("ArrayFormat", "INDICES") if isinstance(options, dict) else "INDICES"
    if fmt not in _ARRAY_FORMATS:
        raise StatesError("States.Runtime", "The HTTP task ArrayFormat must be one of "
                          f"{', '.join(sorted(_ARRAY_FORMATS))}; got {to_json_text(fmt)}.")
    if not isinstance(body, dict):
        raise StatesError("States.Runtime", "A URL_ENCODED RequestBody must be a JSON object.")
    return url_encode(body, fmt).encode()


def _default_header(headers: dict[str, str], content_type: str) -> None:
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = content_type


def url_encode(body: Mapping[str, Any], array_format: str = "INDICES") -> str:
    """Form-encode a JSON object as the HTTP task does.

    Nested objects become ``a[b]=...``; arrays follow ``array_format``: ``INDICES`` (``a[0]=x``),
    ``REPEAT`` (``a=x&a=y``), ``COMMAS`` (``a=x,y``) or ``BRACKETS`` (``a[]=x``).

    Args:
        body: the object to encode.
        array_format: how arrays are written.

    Returns:
        The ``application/x-www-form-urlencoded`` text.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        _flatten(str(name), value, array_format, pairs)
    return urlencode(pairs)


def _flatten(key: str, value: Any, fmt: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _flatten(f"{key}[{name}]", item, fmt, out)
    elif isinstance(value, list):
        if fmt == "COMMAS":
            out.append((key, ",".join(_scalar(item) for item in value)))
            return
        for index, item in enumerate(value):
            sub = {"INDICES": f"{key}[{index}]", "BRACKETS": f"{key}[]"}.get(fmt, key)
            _flatten(sub, item, fmt, out)
    else:
        out.append((key, _scalar(value)))


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else to_json_text(value)


def _result(response: aiohttp.ClientResponse, text: str) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    return {"Headers": headers, "ResponseBody": _parsed(response.content_type, text),
            "StatusCode": response.status, "StatusText": response.reason or ""}


def _parsed(content_type: str, text: str) -> Any:
    """JSON bodies parsed, anything else as text."""
    if "json" in content_type and text:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _trace(
    method: str, url: str, headers: Mapping[str, str], query: list[tuple[str, str]],
    body: bytes | None, result: Mapping[str, Any], hidden: Connection | None,
) -> dict[str, Any]:
    """TestState's ``request``/``response`` of one exchange; ``hidden``: what it must not show."""
    if hidden is not None:
        headers = {k: v for k, v in headers.items() if k not in hidden.headers}
        query = [(k, v) for k, v in query if k not in hidden.query_parameters]
    shown_url = f"{url}?{urlencode(query)}" if query else url
    answer = result["ResponseBody"]
    return {
        "request": {"protocol": url.partition(":")[0].upper(), "method": method, "url": shown_url,
                    "headers": to_json_text(dict(headers)),
                    "body": body.decode("utf-8", "replace") if body is not None else ""},
        "response": {"protocol": "HTTP/1.1", "statusCode": str(result["StatusCode"]),
                     "statusMessage": result["StatusText"],
                     "headers": to_json_text(result["Headers"]),
                     "body": answer if isinstance(answer, str) else to_json_text(answer)},
    }
