"""Fuzzing the Lambda API (REST-JSON under ``/2015-03-31/functions``), hypothesis, bounded.

Requests are built from botocore's Lambda model: each operation's method and URI, its members
bound to the path (function names: valid, ARNs, too long, bad characters), the query string and
headers (``X-Amz-Invocation-Type``, ``X-Amz-Log-Type``, ``X-Amz-Client-Context``...) and the
JSON body (real members with values of their type or not, bad base64 ``ZipFile``s, nested junk),
or a raw payload for Invoke. The operations the server serves (read from its routes, so a new one
is fuzzed as soon as it is routed) get more examples; every other operation, bad paths and
methods must get an AWS-shaped error too. Every answer is below 500; every error has an
``x-amzn-ErrorType`` header and a JSON body with a message. After every request the guard
function still answers, the execution parked on a Wait and the queued SQS message are untouched.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fuzz_shapes import (
    FUNCTION_NAMES,
    JSON_TEXTS,
    SETTINGS,
    Answer,
    World,
    lambda_served,
    send,
    service_model,
    structure,
    typed_value,
    value_of,
)

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings
web = pytest.importorskip("aiohttp.web")

from sfnlocal.api.lambda_api import add_lambda_routes  # noqa: E402

MODEL = service_model("lambda")


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0]).rstrip("/") or "/"


def _routes() -> set[tuple[str, str]]:
    app = web.Application()
    add_lambda_routes(app)
    return {(route.method, _template(route.resource.canonical))
            for route in app.router.routes() if route.resource is not None}


ROUTES = _routes()
OPERATIONS = sorted(MODEL.operation_names)
SERVED = [op for op in OPERATIONS
          if (MODEL.operation_model(op).http["method"],
              _template(MODEL.operation_model(op).http["requestUri"])) in ROUTES]
UNSERVED = [op for op in OPERATIONS if op not in SERVED]
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
HEADER_POOLS: dict[str, list[str]] = {
    "X-Amz-Invocation-Type": ["RequestResponse", "Event", "DryRun", "", "event", "Sync",
                              "x" * 300],
    "X-Amz-Log-Type": ["Tail", "None", "tail", "", "All"],
    "X-Amz-Client-Context": ["", "!!!", "e30=", "bm90IGpzb24=", "x" * 4000],
}
CONTENT_TYPES = ["application/json", "application/x-amz-json-1.1", "text/plain",
                 "application/octet-stream", "multipart/form-data; boundary=x", ""]
PAYLOADS = st.one_of(
    st.sampled_from([t.encode("utf-8", "surrogatepass") for t in JSON_TEXTS]),
    st.binary(max_size=100),
    st.sampled_from([b"", b"\xff\xfe", b'{"a": ' + b"[" * 100_000, b"x" * 6_291_457,
                     b'"' + b"x" * 1_000_000 + b'"']),
)


@pytest.fixture(autouse=True)
def _lambda_is_served(world: World) -> None:
    if not world.lambda_served:
        pytest.skip("the server does not serve the Lambda API")


def _header_value(name: str) -> Any:
    pool = HEADER_POOLS.get(name)
    return st.one_of(st.sampled_from(pool), HEADER_TEXT) if pool else HEADER_TEXT


def _path_value(member: str) -> Any:
    names = [*FUNCTION_NAMES, "guard:nope", "a/b", "%2F", "..", "\x00", "é", " "]
    return st.one_of(st.sampled_from(names), st.text(max_size=20)).map(
        lambda value: quote(value, safe="", errors="surrogatepass") or "%20")


@st.composite
def requests(draw: Any, op: str) -> tuple[str, str, dict[str, str], bytes]:
    """(method, path with query, headers, body) of one ``op`` request."""
    model = MODEL.operation_model(op)
    method, uri = model.http["method"], model.http["requestUri"]
    path, _, fixed_query = uri.partition("?")
    query: dict[str, str] = dict(part.partition("=")[::2] for part in fixed_query.split("&")
                                 if part)
    headers = {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))}
    shape = model.input_shape
    body_members: set[str] = set()
    payload = shape.serialization.get("payload") if shape is not None else None
    for name, member in (shape.members.items() if shape is not None else ()):
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            path = re.sub(r"\{" + re.escape(wire) + r"\+?\}", draw(_path_value(name)), path)
        elif location == "querystring" and draw(st.booleans()):
            query[wire] = str(draw(typed_value(member, name)))
        elif location == "header" and draw(st.booleans()):
            headers[wire] = draw(_header_value(wire))
        elif location is None and name != payload:
            body_members.add(name)
    if payload is not None:
        body = draw(PAYLOADS)
    elif body_members and shape is not None:
        body = json.dumps(draw(structure(shape, only=body_members))).encode()
    else:
        body = draw(st.sampled_from([b"", b"{}", b"junk"]))
    if query:
        path += "?" + urlencode(query, errors="surrogatepass")
    return method, path, headers, body


def assert_lambda_answer(answer: Answer, method: str) -> None:
    """Below 500; an error has ``x-amzn-ErrorType`` and a JSON body with a message."""
    assert answer.status < 500, (answer.status, answer.raw[:500])
    if answer.status < 400:
        return
    assert answer.headers.get("x-amzn-errortype"), (answer.status, answer.headers, answer.raw[:300])
    if method == "HEAD":
        return
    body = answer.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("message", body.get("Message")), str), body


def _send(world: World, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
    return send(world.url + path, method, body if method not in {"GET", "HEAD"} else None,
                headers)


@pytest.mark.parametrize("op", SERVED)
@settings(max_examples=20, **SETTINGS)
@given(data=st.data())
def test_served_operations(world, op, data):
    method, path, headers, body = data.draw(requests(op), label="request")
    assert_lambda_answer(_send(world, method, path, headers, body), method)
    world.assert_untouched()


@settings(max_examples=60, **SETTINGS)
@given(data=st.data())
def test_unserved_operations(world, data):
    op = data.draw(st.sampled_from(UNSERVED), label="op")
    method, path, headers, body = data.draw(requests(op), label="request")
    answer = _send(world, method, path, headers, body)
    assert_lambda_answer(answer, method)
    assert answer.status >= 400, (op, answer.status, answer.raw[:300])
    world.assert_untouched()


TAILS = st.sampled_from(["", "/", "/x", "/x/", "/x/y/z", "/x/invocations/extra", "/x/code/",
                         "/%2e%2e/%2e%2e", "//x", "/x/configuration/x", "/" + "a" * 5000,
                         "/x/policy", "/x/versions", "/x/aliases/a", "/x?Qualifier=" + "%00",
                         "/x/invocations?Qualifier=" + "a" * 200, "?MaxItems=0",
                         "?MaxItems=x", "?Marker=!!!", "?MaxItems=99999999999999999999"])
PREFIXES = st.sampled_from(["/2015-03-31/functions", "/2015-03-31", "/2015-03-31/function",
                            "/2014-11-13/functions", "/2019-09-30/functions",
                            "/9999-99-99/functions", "/2015-03-31/functions/decoy"])
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])


@settings(max_examples=60, **SETTINGS)
@given(prefix=PREFIXES, tail=TAILS, method=METHODS,
       body=st.sampled_from([b"", b"{}", b"junk", b"[]", b'{"ZipFile": "!!!"}']))
def test_bad_paths_and_methods(world, prefix, tail, method, body):
    assert_lambda_answer(_send(world, method, prefix + tail, {}, body), method)
    world.assert_untouched()


@settings(max_examples=30, **SETTINGS)
@given(name=st.sampled_from(["decoy", "guard", "nope", "decoy:$LATEST", "guard:1"]),
       invocation=st.one_of(st.none(), _header_value("X-Amz-Invocation-Type")),
       log=st.one_of(st.none(), _header_value("X-Amz-Log-Type")),
       context=st.one_of(st.none(), _header_value("X-Amz-Client-Context")),
       payload=PAYLOADS)
def test_invoke_headers_and_payloads(world, name, invocation, log, context, payload):
    """Invoke with bad headers and payloads; the guard may be invoked (it does not change)."""
    headers = {key: value for key, value in (("X-Amz-Invocation-Type", invocation),
                                             ("X-Amz-Log-Type", log),
                                             ("X-Amz-Client-Context", context)) if value is not None}
    answer = _send(world, "POST", f"/2015-03-31/functions/{quote(name, safe='')}/invocations",
                   headers, payload)
    assert_lambda_answer(answer, "POST")
    world.assert_untouched()


CODE_MEMBERS = {"ZipFile", "S3Bucket", "S3Key", "ImageUri", "Publish", "DryRun", "RevisionId",
                "Architectures"}


@settings(max_examples=30, **SETTINGS)
@given(data=st.data())
def test_function_bodies(world, data):
    """CreateFunction/UpdateFunctionCode/UpdateFunctionConfiguration with junk and bad zips."""
    op = data.draw(st.sampled_from(["CreateFunction", "UpdateFunctionCode",
                                    "UpdateFunctionConfiguration"]), label="op")
    shape = MODEL.operation_model(op).input_shape
    body = {name: data.draw(value_of(member, name), label=name)
            for name, member in shape.members.items()
            if member.serialization.get("location") is None and data.draw(st.booleans())}
    if op == "CreateFunction":
        body.setdefault("FunctionName", data.draw(st.sampled_from(["decoy", "fuzzed", ""])))
        path = "/2015-03-31/functions"
    else:
        name = data.draw(st.sampled_from(["decoy", "nope"]), label="name")
        path = f"/2015-03-31/functions/{name}/" + ("code" if op == "UpdateFunctionCode"
                                                   else "configuration")
    method = MODEL.operation_model(op).http["method"]
    assert_lambda_answer(_send(world, method, path, {"Content-Type": "application/json"},
                               json.dumps(body).encode()), method)
    world.assert_untouched()


# Deep nesting once reached json's RecursionError in lambda_api (a 500 ServiceException).
PATHOLOGICAL = [pytest.param(b'{"a": ' + b"[" * 100_000, id="unclosed"),
                pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep"),
                pytest.param(b'{"a": "' + b"\\u0000" * 100_000 + b'"}', id="escapes"),
                pytest.param(b'{"a": 1e999999}', id="inf")]
BODY_ROUTES = [("POST", "/2015-03-31/functions"),
               ("PUT", "/2015-03-31/functions/decoy/configuration"),
               ("PUT", "/2015-03-31/functions/decoy/code"),
               ("POST", "/2015-03-31/functions/guard/invocations")]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize("raw", PATHOLOGICAL)
def test_pathological_json(world, method, path, raw):
    """Deep nesting, long escapes, huge numbers: an answer (2xx or 4xx), not a crash."""
    assert_lambda_answer(_send(world, method, path, {}, raw), method)
    world.assert_untouched()


def test_lambda_is_fuzzed_when_served(world):
    """The served operations were read from the routes (the guard function answers)."""
    assert lambda_served(world.url)
    assert {"Invoke", "CreateFunction", "GetFunction"} <= set(SERVED), SERVED
