"""Queue tags and the access policy AddPermission/RemovePermission write, with SQS's checks.

Tags (``TagQueue``, ``CreateQueue``'s ``tags``): keys of 1 to 128 characters, values of at most
256, at most 50 per queue; a tag with an existing key replaces it. Permissions are statements of
the queue's ``Policy`` attribute, as AWS writes them: ``{"Version": "2012-10-17", "Id":
"<queue arn>/SQSDefaultPolicy", "Statement": [{"Sid": <label>, "Effect": "Allow", "Principal":
{"AWS": "arn:aws:iam::<account>:root"}, "Action": "SQS:<action>", "Resource": <queue arn>}]}``
(lists when there are several principals or actions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sfnlocal.integrations.sqs_model import Queue, error, invalid, missing

__all__ = ["MAX_TAGS", "check_policy", "policy_with", "policy_without", "tagged"]

MAX_TAGS = 50
MAX_ACTIONS = 7
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ACCOUNT = re.compile(r"\d{12}")
# Actions a queue's owner may share (the batch forms come with their single forms).
SHAREABLE = frozenset({"*", "SendMessage", "ReceiveMessage", "DeleteMessage",
                       "ChangeMessageVisibility", "GetQueueAttributes", "GetQueueUrl",
                       "ListDeadLetterSourceQueues", "PurgeQueue"})
OWNER_ONLY = frozenset({"AddPermission", "RemovePermission", "CreateQueue", "DeleteQueue",
                        "ListQueues", "SetQueueAttributes", "TagQueue", "UntagQueue",
                        "ListQueueTags", "StartMessageMoveTask", "ListMessageMoveTasks",
                        "CancelMessageMoveTask", "SendMessageBatch", "DeleteMessageBatch",
                        "ChangeMessageVisibilityBatch"})


def tagged(queue: Queue | None, name: str, tags: Mapping[str, str]) -> dict[str, str]:
    """The queue's tags (none for a new queue) with ``tags`` added, checked."""
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise invalid("Tag keys must be between 1 and 128 characters in length.")
        if len(value) > 256:
            raise invalid("Tag values must be between 0 and 256 characters in length.")
    merged = {**(queue.tags if queue is not None else {}), **tags}
    if len(merged) > MAX_TAGS:
        raise invalid(f"Too many tags added for queue {name}.")
    return merged


def check_policy(value: str) -> str:
    """A ``Policy`` attribute: empty (no policy) or a JSON object."""
    if value:
        try:
            document = json.loads(value)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise error("InvalidAttributeValue", "Invalid value for the parameter Policy.")
    return value


def policy_with(queue: Queue, label: str, accounts: Sequence[str], actions: Sequence[str]) -> str:
    """The queue's ``Policy`` with the statement AddPermission makes for ``label``."""
    _check_label(label)
    if not actions:
        raise missing("Actions")
    if not accounts:
        raise invalid("Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.")
    for account in accounts:
        if not _ACCOUNT.fullmatch(account):
            raise invalid(f"Value [{account}] for parameter PrincipalId is invalid. "
                          "Reason: Unable to verify.")
    if len(actions) > MAX_ACTIONS:
        raise error("OverLimit", f"{len(actions)} Actions were found, maximum allowed is "
                    f"{MAX_ACTIONS}.")
    for action in actions:
        _check_action(action)
    document = _document(queue)
    if any(statement.get("Sid") == label for statement in document["Statement"]):
        raise invalid(f"Value {label} for parameter Label is invalid. Reason: Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    names = [f"SQS:{action}" for action in actions]
    document["Statement"].append({
        "Sid": label, "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": names[0] if len(names) == 1 else names, "Resource": queue.arn})
    return json.dumps(document, separators=(",", ":"))


def policy_without(queue: Queue, label: str) -> str | None:
    """The queue's ``Policy`` without ``label``'s statements (None: no statement is left)."""
    document = _document(queue)
    kept = [s for s in document["Statement"] if s.get("Sid") != label]
    if len(kept) == len(document["Statement"]):
        raise invalid(f"Value {label} for parameter Label is invalid. Reason: can't find label "
                      "on existing policy.")
    document["Statement"] = kept
    return json.dumps(document, separators=(",", ":")) if kept else None


def _check_label(label: str) -> None:
    if not _LABEL.fullmatch(label):
        raise invalid(f"Value {label} for parameter Label is invalid. Reason: Can only include "
                      "alphanumeric characters, hyphens, or underscores. 1 to 80 in length.")


def _check_action(action: str) -> None:
    if action in SHAREABLE:
        return
    reason = "Only the queue owner is allowed to invoke this action." if action in OWNER_ONLY \
        else "Please refer to the appropriate WSDL for a list of valid actions."
    raise invalid(f"Value SQS:{action} for parameter ActionName is invalid. Reason: {reason}")


def _document(queue: Queue) -> dict[str, Any]:
    """The queue's policy as a document with a ``Statement`` list (a fresh one if it has none)."""
    raw = queue.attributes.get("Policy") or ""
    parsed: Any = json.loads(raw) if raw else None
    document: dict[str, Any] = parsed if isinstance(parsed, dict) else {
        "Version": "2012-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy"}
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [s for s in statements if isinstance(s, dict)] \
        if isinstance(statements, list) else []
    return document
