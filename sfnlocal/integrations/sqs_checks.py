"""Validation of SQS request parameters, with SQS's error codes and texts.

Queue names and attributes (limits, FIFO-only attributes, ``RedrivePolicy``), message bodies and
message attributes, ranges of numeric parameters and batch requests. Every check raises
``ServiceError`` (``InvalidParameterValue``, ``MissingParameter``, ``InvalidAttributeName``...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sfnlocal.errors import ServiceError
from sfnlocal.integrations.sqs_access import check_policy
from sfnlocal.integrations.sqs_model import (
    FIFO_ONLY,
    LIMITS,
    MAX_BATCH,
    NAME,
    SETTABLE,
    Queue,
    binary,
    error,
    invalid,
    missing,
)

__all__ = [
    "check_attributes",
    "check_batch",
    "check_body",
    "check_name",
    "check_range",
    "check_system_attributes",
    "each",
    "queue_attribute",
    "queue_attributes",
    "selected",
]

_BAD_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
FindQueue = Callable[[str], "Queue | None"]


def check_name(name: str, fifo: bool) -> None:
    """A queue name: 1-80 of ``[A-Za-z0-9_-]``; FIFO queues end with ``.fifo``."""
    base = name[:-5] if name.endswith(".fifo") else name
    if fifo and (not name.endswith(".fifo") or not NAME.match(base) or len(name) > 80):
        raise invalid("The name of a FIFO queue can only include alphanumeric characters, "
                      "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in "
                      "length.")
    if not fifo and not NAME.match(name):
        raise invalid("Can only include alphanumeric characters, hyphens, or underscores. "
                      "1 to 80 in length")


def queue_attributes(attrs: dict[str, str], fifo: bool, by_arn: FindQueue) -> dict[str, str]:
    """CreateQueue's attributes with the defaults filled in (``by_arn`` finds DLQs)."""
    out = {key: str(default) for key, (_, _, default) in LIMITS.items()}
    if fifo:
        out.update(FifoQueue="true", ContentBasedDeduplication="false",
                   DeduplicationScope="queue", FifoThroughputLimit="perQueue")
    for key, value in attrs.items():
        if key == "FifoQueue":
            if value.lower() not in ("true", "false") or (value.lower() == "true") != fifo:
                raise error("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
            continue
        out[key] = queue_attribute(key, value, fifo, by_arn)
    return out


def queue_attribute(key: str, value: str, fifo: bool, by_arn: FindQueue) -> str:
    """One settable queue attribute, normalised (``InvalidAttributeName``/``Value`` if not)."""
    if key not in SETTABLE or (key in FIFO_ONLY and not fifo):
        raise error("InvalidAttributeName", f"Unknown Attribute {key}.")
    if key in LIMITS:
        low, high, _ = LIMITS[key]
        if not value.isdigit() or not low <= int(value) <= high:
            raise error("InvalidAttributeValue", f"Invalid value for the parameter {key}.")
        return str(int(value))
    if key == "ContentBasedDeduplication":
        return value.lower()
    if key == "RedrivePolicy":
        return _redrive_policy(value, fifo, by_arn)
    if key == "Policy":
        return check_policy(value)
    return value


def _redrive_policy(value: str, fifo: bool, by_arn: FindQueue) -> str:
    bad = f"Value {value} for parameter RedrivePolicy is invalid. Reason: "
    try:
        policy = json.loads(value)
        target = str(policy["deadLetterTargetArn"])
        count = int(policy["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        raise invalid(bad + "Redrive policy is not a valid JSON map.") from None
    if not 1 <= count <= 1000:
        raise invalid(bad + "Invalid value for maxReceiveCount: "
                      f"{count}, valid values are from 1 to 1000 both inclusive.")
    dlq = by_arn(target)
    if dlq is None:
        raise invalid(bad + "Dead letter target does not exist.")
    if dlq.fifo != fifo:
        raise invalid(bad + "Dead-letter queue must be same type of queue as the source.")
    return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count},
                      separators=(",", ":"))


def check_range(name: str, value: Any, low: int, high: int) -> None:
    """An integer parameter within ``[low, high]``."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"Value {value} for parameter {name} is invalid. Reason: must be between "
                      f"{low} and {high}, if provided.")


def check_body(body: Any, attributes: Any, limit: int) -> str:
    """A message body: present, of valid characters and (with its attributes) under ``limit``."""
    if body is None or body == "":
        raise missing("MessageBody")
    text = str(body)
    if _BAD_CHARS.search(text):
        raise error("InvalidMessageContents", "Invalid characters found. Valid unicode "
                    "characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
                    "#x10000 to #x10FFFF")
    size = len(text.encode()) + _attributes_size(attributes or {})
    if size > limit:
        raise invalid("One or more parameters are invalid. Reason: Message must be shorter than "
                      f"{limit} bytes.")
    return text


def _attributes_size(attributes: Mapping[str, Mapping[str, Any]]) -> int:
    total = 0
    for name, attr in attributes.items():
        value = attr.get("StringValue", attr.get("BinaryValue", b""))
        raw = value if isinstance(value, bytes) else str(value).encode()
        total += len(name.encode()) + len(str(attr.get("DataType", "")).encode()) + len(raw)
    return total


def check_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Message attributes: at most 10, each with a known type and a non-empty value."""
    if len(attributes) > 10:
        raise invalid(f"Number of message attributes [{len(attributes)}] exceeds the allowed "
                      "maximum [10].")
    out: dict[str, dict[str, Any]] = {}
    for name, attr in attributes.items():
        data_type = attr.get("DataType") if isinstance(attr, Mapping) else None
        if not data_type:
            raise invalid(f"The message attribute '{name}' must contain non-empty message "
                          "attribute type.")
        kind = str(data_type).split(".", 1)[0]
        if kind not in ("String", "Number", "Binary"):
            raise invalid(f"The type of message (user) attribute '{name}' is invalid. You must "
                          "use only the following supported type prefixes: Binary, Number, "
                          "String.")
        key = "BinaryValue" if kind == "Binary" else "StringValue"
        value = attr.get(key)
        if value is None or value in ("", b""):
            raise invalid(f"The message attribute '{name}' must contain non-empty message "
                          f"attribute value for message attribute type '{kind}'.")
        out[name] = {"DataType": str(data_type),
                     key: binary(value) if kind == "Binary" else str(value)}
    return out


def check_system_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str | None:
    """``MessageSystemAttributes``: only ``AWSTraceHeader``, a non-empty String (its value)."""
    for name in attributes:
        if name != "AWSTraceHeader":
            raise invalid(f"Message system attribute name '{name}' is invalid.")
    header = attributes.get("AWSTraceHeader")
    if header is None:
        return None
    value = header.get("StringValue") if isinstance(header, Mapping) else None
    if not isinstance(header, Mapping) or header.get("DataType") != "String" \
            or not isinstance(value, str) or not value:
        raise invalid("The message system attribute 'AWSTraceHeader' must be of DataType String "
                      "with a non-empty StringValue.")
    return value


def selected(name: str, wanted: list[str]) -> bool:
    """``MessageAttributeNames`` matching: ``All``, ``.*``, exact names and ``prefix.*``."""
    for pattern in wanted:
        if pattern in ("All", ".*") or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def check_batch(entries: Sequence[Mapping[str, Any]]) -> None:
    """A batch: 1 to 10 entries with valid, distinct ``Id`` values."""
    if not entries:
        raise error("EmptyBatchRequest", "There should be at least one "
                    "SendMessageBatchRequestEntry in the request.")
    if len(entries) > MAX_BATCH:
        raise error("TooManyEntriesInBatchRequest", "Maximum number of entries per request are "
                    f"10. You have sent {len(entries)}.")
    ids = [str(e.get("Id", "")) for e in entries]
    for entry_id in ids:
        if not _ENTRY_ID.fullmatch(entry_id):
            raise error("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric "
                        "characters, hyphens and underscores. It can be at most 80 letters long.")
    if len(set(ids)) != len(ids):
        raise error("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have "
                    "the same Id.")


def each(entries: Sequence[Mapping[str, Any]],
         run: Callable[[Mapping[str, Any]], Any]) -> dict[str, Any]:
    """Run ``run(entry)`` per entry, collecting ``Successful`` and ``Failed`` entries."""
    ok: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            outcome = run(entry)
        except ServiceError as exc:
            failed.append({"Id": entry["Id"], "SenderFault": True, "Code": exc.code,
                           "Message": exc.message})
            continue
        ok.append({"Id": entry["Id"], **(outcome or {})})
    return {"Successful": ok, "Failed": failed}
