"""Resource tags: TagResource, UntagResource, ListTagsForResource (checklist §13).

State machines and activities carry tags (not versions or aliases: their ARNs are
``ResourceNotFound``). A resource holds at most 50 tags; a key is 1 to 128 characters, a value at
most 256, and keys starting with ``aws:`` are reserved. Tags given at creation apply only when the
resource is new (an idempotent create ignores them, as AWS does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sfnlocal.engine.validation import check_arn, validation_error
from sfnlocal.errors import ServiceError

if TYPE_CHECKING:
    from sfnlocal.engine.store import Store
    from sfnlocal.integrations.base import Registry

__all__ = ["MAX_KEY_LENGTH", "MAX_TAGS", "MAX_VALUE_LENGTH", "TagStore", "TagsApi", "check_tags"]

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
_RESERVED_PREFIX = "aws:"


def check_tags(tags: Mapping[str, str], member: str = "tags") -> None:
    """Raise ``ValidationException`` for a key or value AWS refuses."""
    for index, (key, value) in enumerate(tags.items(), start=1):
        check_key(key, f"{member}.{index}.member.key")
        if len(value) > MAX_VALUE_LENGTH:
            raise validation_error(value, f"{member}.{index}.member.value",
                                   f"have length less than or equal to {MAX_VALUE_LENGTH}")


def check_key(key: str, member: str) -> None:
    """Raise ``ValidationException`` for a tag key of a wrong length or with the reserved prefix."""
    if not key:
        raise validation_error(key, member, "have length greater than or equal to 1")
    if len(key) > MAX_KEY_LENGTH:
        raise validation_error(key, member, f"have length less than or equal to {MAX_KEY_LENGTH}")
    if key.lower().startswith(_RESERVED_PREFIX):
        raise ServiceError("ValidationException",
                           f"Tag keys starting with '{_RESERVED_PREFIX}' are reserved: '{key}'")


def _too_many(arn: str) -> ServiceError:
    return ServiceError("TooManyTags",
                        f"Too many tags: a resource can have at most {MAX_TAGS} tags: '{arn}'")


class TagStore:
    """The tags of every resource, by ARN (insertion order is listing order)."""

    def __init__(self) -> None:
        self._tags: dict[str, dict[str, str]] = {}

    def replace(self, arn: str, tags: Mapping[str, str]) -> None:
        """Set a new resource's tags (its ARN's earlier tags, from a deleted resource, are dropped).

        Raises:
            ServiceError: ``ValidationException``, ``TooManyTags``.
        """
        check_tags(tags)
        if len(tags) > MAX_TAGS:
            raise _too_many(arn)
        self._tags[arn] = dict(tags)

    def add(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags (all or nothing).

        Raises:
            ServiceError: ``ValidationException``, ``TooManyTags``.
        """
        check_tags(tags)
        merged = {**self._tags.get(arn, {}), **tags}
        if len(merged) > MAX_TAGS:
            raise _too_many(arn)
        self._tags[arn] = merged

    def remove(self, arn: str, keys: Iterable[str]) -> None:
        """Remove tags by key (absent keys are ignored)."""
        current = self._tags.get(arn, {})
        for key in keys:
            current.pop(key, None)

    def of(self, arn: str) -> dict[str, str]:
        """A copy of the resource's tags."""
        return dict(self._tags.get(arn, {}))


class TagsApi:
    """The Engine's tag actions (mixed into ``Engine``).

    The engine provides ``store``, ``integrations`` and ``tags``.
    """

    store: Store
    integrations: Registry
    tags: TagStore

    def _tagged_resource(self, arn: str) -> str:
        """Check that ``arn`` names an existing state machine or activity; return it.

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``.
        """
        kind = "activity" if isinstance(arn, str) and ":activity:" in arn else "stateMachine"
        check_arn(arn, kind)
        exists = (arn in self.integrations.activities if kind == "activity"
                  else self.store.get_state_machine(arn) is not None)
        if not exists:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return arn

    async def tag_resource(self, resource_arn: str, tags: Mapping[str, str]) -> None:
        """TagResource: add or overwrite tags.

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``, ``TooManyTags``,
                ``ValidationException``.
        """
        self.tags.add(self._tagged_resource(resource_arn), tags)

    async def untag_resource(self, resource_arn: str, tag_keys: Iterable[str]) -> None:
        """UntagResource: remove tags by key.

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``, ``ValidationException``.
        """
        keys = list(tag_keys)
        for index, key in enumerate(keys, start=1):
            check_key(key, f"tagKeys.{index}.member")
        self.tags.remove(self._tagged_resource(resource_arn), keys)

    async def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]:
        """ListTagsForResource: the resource's tags, key to value.

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``.
        """
        return self.tags.of(self._tagged_resource(resource_arn))
