"""State machine revisions, versions and aliases (checklist §13).

- A *revision* is the state machine's current definition and role. ``update_state_machine`` makes a
  new one (a new ``revisionId``, a UUID from the engine's seeded random source) when the definition
  (compared as JSON) or the role changes; an update that changes nothing keeps the revisionId. A new
  machine has no revisionId until its first real update, as on AWS. Running executions keep the
  compiled machine they started with.
- A *version* (``<machine ARN>:<n>``) is an immutable snapshot of a revision, published by
  ``publish_state_machine_version`` or by ``publish=True`` on create/update. Numbers increase from 1
  and are never reused; publishing a revision that already has a version returns that version.
- An *alias* (``<machine ARN>:<name>``) routes StartExecution to one or two versions by weight (the
  engine's seeded random source picks).

Executions started through a version or alias keep the machine's own ARN in ``stateMachineArn``
and record ``stateMachineVersionArn`` / ``stateMachineAliasArn``; ``$$.StateMachine.Id`` is the ARN
that was started (machine, version or alias). Versions and aliases are not taggable and are deleted
with their machine.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sfnlocal.asl import check, load
from sfnlocal.asl.compiler import compile_machine
from sfnlocal.asl.loader import parse_definition
from sfnlocal.asl.model import StateMachine
from sfnlocal.engine.clock import Clock
from sfnlocal.engine.records import ExecutionRecord, StateMachineRecord, aws_time
from sfnlocal.engine.validation import (
    ALIAS_NAME_PATTERN,
    check_alias_arn,
    check_version_arn,
    is_alias_name,
    split_state_machine_arn,
    validation_error,
)
from sfnlocal.errors import ServiceError

if TYPE_CHECKING:
    from sfnlocal.engine.store import Store

__all__ = ["AliasRecord", "StateMachineUpdate", "VersionRegistry", "VersionsApi"]

MAX_DESCRIPTION = 256
MAX_ALIAS_NAME = 80
_TOTAL_WEIGHT = 100
_NOT_FOUND = "Request references a resource that does not exist."
_NOTHING_TO_UPDATE = ("Either the definition, the role ARN, the LoggingConfiguration, or the "
                      "TracingConfiguration must be specified")

Routing = Sequence[tuple[str, int]]
"""A routing configuration: (version ARN, weight) pairs."""


@dataclass(frozen=True, slots=True)
class StateMachineUpdate:
    """What UpdateStateMachine returns.

    Attributes:
        update_date: epoch seconds of the call.
        revision_id: the machine's revision after the update (None: never revised).
        version_arn: the version published with ``publish=True``.
    """

    update_date: float
    revision_id: str | None
    version_arn: str | None = None

    def to_aws(self) -> dict[str, Any]:
        """The UpdateStateMachine response shape."""
        shape: dict[str, Any] = {"updateDate": aws_time(self.update_date)}
        if self.revision_id is not None:
            shape["revisionId"] = self.revision_id
        if self.version_arn is not None:
            shape["stateMachineVersionArn"] = self.version_arn
        return shape


@dataclass(slots=True, eq=False)
class AliasRecord:
    """A state machine alias.

    Attributes:
        arn: ``<machine ARN>:<name>``.
        state_machine_arn: the machine it belongs to.
        routing: (version ARN, weight) pairs, weights summing to 100.
        creation_date / update_date: epoch seconds.
    """

    arn: str
    name: str
    state_machine_arn: str
    routing: tuple[tuple[str, int], ...]
    description: str | None
    creation_date: float
    update_date: float

    def version_arns(self) -> list[str]:
        """The versions it routes to."""
        return [arn for arn, _ in self.routing]

    def to_aws(self) -> dict[str, Any]:
        """The DescribeStateMachineAlias response shape."""
        shape: dict[str, Any] = {"stateMachineAliasArn": self.arn, "name": self.name}
        if self.description is not None:
            shape["description"] = self.description
        shape["routingConfiguration"] = [
            {"stateMachineVersionArn": arn, "weight": weight} for arn, weight in self.routing
        ]
        shape["creationDate"] = aws_time(self.creation_date)
        shape["updateDate"] = aws_time(self.update_date)
        return shape

    def to_create_aws(self) -> dict[str, Any]:
        """The CreateStateMachineAlias response shape (also its ListStateMachineAliases item)."""
        return {"stateMachineAliasArn": self.arn, "creationDate": aws_time(self.creation_date)}


class VersionRegistry:
    """The versions and aliases of every machine, and the revision each execution started with."""

    def __init__(self) -> None:
        self.versions: dict[str, StateMachineRecord] = {}
        self.aliases: dict[str, AliasRecord] = {}
        self.ran_with: dict[str, StateMachineRecord] = {}
        self._last_number: dict[str, int] = {}

    def next_number(self, machine_arn: str) -> int:
        """The next version number of a machine (numbers are never reused)."""
        number = self._last_number.get(machine_arn, 0) + 1
        self._last_number[machine_arn] = number
        return number

    def versions_of(self, machine_arn: str) -> list[StateMachineRecord]:
        """A machine's versions, oldest first."""
        return [v for v in self.versions.values() if v.version_of == machine_arn]

    def aliases_of(self, machine_arn: str) -> list[AliasRecord]:
        """A machine's aliases, oldest first."""
        return [a for a in self.aliases.values() if a.state_machine_arn == machine_arn]

    def forget(self, machine_arn: str) -> None:
        """Drop a deleted machine's versions, aliases and version counter."""
        for version in self.versions_of(machine_arn):
            del self.versions[version.arn]
        for alias in self.aliases_of(machine_arn):
            del self.aliases[alias.arn]
        self._last_number.pop(machine_arn, None)


class VersionsApi:
    """UpdateStateMachine and the version and alias actions (mixed into ``Engine``).

    The engine provides ``store``, ``clock``, ``rng``, ``versions`` and the methods below.
    """

    store: Store
    clock: Clock
    rng: random.Random
    versions: VersionRegistry

    if TYPE_CHECKING:
        def _uuid(self) -> str: ...

        async def describe_state_machine(self, arn: str) -> StateMachineRecord:
            """Provided by ``Engine``."""

        async def describe_execution(self, arn: str) -> ExecutionRecord:
            """Provided by ``Engine``."""

    # -- revisions ------------------------------------------------------------------------------

    async def update_state_machine(
        self, arn: str, definition: Mapping[str, Any] | str | None = None,
        role_arn: str | None = None, *, logging_configuration: Mapping[str, Any] | None = None,
        tracing_configuration: Mapping[str, Any] | None = None, publish: bool = False,
        version_description: str | None = None,
    ) -> StateMachineUpdate:
        """Change a machine's definition and/or role (UpdateStateMachine); optionally publish.

        Logging and tracing configurations are accepted and not kept (sfnlocal always reports
        logging OFF and tracing disabled), so an update of only those keeps the revision.

        Raises:
            ServiceError: ``InvalidArn``, ``MissingRequiredParameter``, ``ValidationException``,
                ``StateMachineDoesNotExist`` (also for a version or alias ARN).
            InvalidDefinition: the new definition breaks a rule AWS enforces.
        """
        _, qualifier = split_state_machine_arn(arn)
        given = (definition, role_arn, logging_configuration, tracing_configuration)
        if all(value is None for value in given):
            raise ServiceError("MissingRequiredParameter", _NOTHING_TO_UPDATE)
        check_version_description(publish, version_description)
        current = self.store.get_state_machine(arn) if qualifier is None else None
        if current is None:
            raise _no_machine(arn)
        revised = self._revised(current, definition, role_arn)
        if revised is not None:
            self.store.put_state_machine(revised)
            current = revised
        version = self._publish(current, version_description) if publish else None
        return StateMachineUpdate(self.clock.now(), current.revision_id,
                                  None if version is None else version.arn)

    def _revised(
        self, current: StateMachineRecord, definition: Mapping[str, Any] | str | None,
        role_arn: str | None,
    ) -> StateMachineRecord | None:
        """The new revision, or None when nothing changes."""
        changes: dict[str, Any] = {}
        if definition is not None:
            text, machine = compile_definition(definition, current.type)
            if not _same_json(text, current.definition):
                changes.update(definition=text, machine=machine)
        if role_arn is not None and role_arn != current.role_arn:
            changes["role_arn"] = role_arn
        if not changes:
            return None
        return replace(current, revision_id=self._uuid(), update_date=self.clock.now(), **changes)

    # -- versions -------------------------------------------------------------------------------

    async def publish_state_machine_version(
        self, arn: str, revision_id: str | None = None, description: str | None = None
    ) -> StateMachineRecord:
        """Publish the current revision as a version (PublishStateMachineVersion).

        Returns the version (a record whose ``arn`` is ``<machine ARN>:<n>``); the existing one
        when the current revision is already published.

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist``, ``ValidationException``,
                ``ConflictException`` (``revision_id`` is not the current revision).
        """
        check_description(description)
        machine = self._machine(arn)
        if revision_id is not None and revision_id != machine.revision_id:
            raise ServiceError(
                "ConflictException",
                f"Failed to publish the State Machine version for revision {revision_id}. "
                f"The current State Machine revision is {machine.revision_id or 'null'}.",
            )
        return self._publish(machine, description)

    def _publish(self, machine: StateMachineRecord, description: str | None) -> StateMachineRecord:
        existing = self.published_version(machine.arn)
        if existing is not None:
            return existing
        number = self.versions.next_number(machine.arn)
        version = replace(
            machine, arn=f"{machine.arn}:{number}", creation_date=self.clock.now(),
            update_date=machine.update_date or machine.creation_date, description=description,
            version_of=machine.arn, tags={},
        )
        self.versions.versions[version.arn] = version
        return version

    def published_version(self, machine_arn: str) -> StateMachineRecord | None:
        """The version of the machine's current revision, if one is published."""
        machine = self.store.get_state_machine(machine_arn)
        if machine is None:
            return None
        for version in self.versions.versions_of(machine_arn):
            if version.revision_id == machine.revision_id:
                return version
        return None

    def _published_on_create(
        self, record: StateMachineRecord, publish: bool, description: str | None
    ) -> StateMachineRecord:
        """CreateStateMachine's ``publish``: publish the new machine; return the machine."""
        if publish:
            self._publish(record, description)
        return record

    async def list_state_machine_versions(self, arn: str) -> list[StateMachineRecord]:
        """The machine's versions, newest first (ListStateMachineVersions).

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist``.
        """
        return self.versions.versions_of(self._machine(arn).arn)[::-1]

    async def delete_state_machine_version(self, version_arn: str) -> None:
        """Delete a version (DeleteStateMachineVersion); an unknown one succeeds.

        Its running executions go on.

        Raises:
            ServiceError: ``InvalidArn``, ``ConflictException`` (an alias routes to it).
        """
        machine_arn, _ = check_version_arn(version_arn)
        names = [a.name for a in self.versions.aliases_of(machine_arn)
                 if version_arn in a.version_arns()]
        if names:
            raise ServiceError(
                "ConflictException",
                "Version to be deleted must not be referenced by an alias. Current list of "
                f"aliases referencing this version: [{', '.join(names)}]",
            )
        self.versions.versions.pop(version_arn, None)

    # -- aliases --------------------------------------------------------------------------------

    async def create_state_machine_alias(
        self, name: str, routing: Routing, description: str | None = None
    ) -> AliasRecord:
        """Create an alias routing to one or two versions (CreateStateMachineAlias).

        Creating it again with the same routing and description returns the existing alias.

        Raises:
            ServiceError: ``ValidationException`` (name, description, routing), ``InvalidArn``,
                ``ResourceNotFound`` (a version that does not exist), ``ConflictException``.
        """
        check_alias_name(name)
        check_description(description)
        machine_arn, entries = self._routing(routing)
        arn = f"{machine_arn}:{name}"
        existing = self.versions.aliases.get(arn)
        if existing is not None:
            if existing.routing == entries and existing.description == description:
                return existing
            raise ServiceError(
                "ConflictException",
                "Failed to create alias because an alias with the same name and a different "
                "routing configuration already exists.",
            )
        now = self.clock.now()
        alias = AliasRecord(arn, name, machine_arn, entries, description, now, now)
        self.versions.aliases[arn] = alias
        return alias

    async def describe_state_machine_alias(self, arn: str) -> AliasRecord:
        """The alias with this ARN (DescribeStateMachineAlias).

        Raises:
            ServiceError: ``InvalidArn``, ``ResourceNotFound``.
        """
        check_alias_arn(arn)
        alias = self.versions.aliases.get(arn)
        if alias is None:
            raise ServiceError("ResourceNotFound", _NOT_FOUND)
        return alias

    async def update_state_machine_alias(
        self, arn: str, description: str | None = None, routing: Routing | None = None
    ) -> AliasRecord:
        """Change an alias's description and/or routing (UpdateStateMachineAlias).

        Raises:
            ServiceError: ``InvalidArn``, ``ValidationException``, ``ResourceNotFound``.
        """
        check_alias_arn(arn)
        if description is None and routing is None:
            raise ServiceError("ValidationException",
                               "Either the description or the RoutingConfiguration must be "
                               "specified")
        check_description(description)
        checked = None if routing is None else self._routing(routing)
        alias = await self.describe_state_machine_alias(arn)
        if checked is not None:
            machine_arn, entries = checked
            if machine_arn != alias.state_machine_arn:
                raise _foreign_versions(entries)
            alias.routing = entries
        if description is not None:
            alias.description = description
        alias.update_date = self.clock.now()
        return alias

    async def delete_state_machine_alias(self, arn: str) -> None:
        """Delete an alias (DeleteStateMachineAlias); an unknown one succeeds.

        Raises:
            ServiceError: ``InvalidArn``.
        """
        check_alias_arn(arn)
        self.versions.aliases.pop(arn, None)

    async def list_state_machine_aliases(self, arn: str) -> list[AliasRecord]:
        """The aliases of a machine, or of one version, newest first (ListStateMachineAliases).

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist`` (machine),
                ``ResourceNotFound`` (version).
        """
        _, qualifier = split_state_machine_arn(arn)
        if qualifier is None:
            return self.versions.aliases_of(self._machine(arn).arn)[::-1]
        machine_arn, _ = check_version_arn(arn)
        if arn not in self.versions.versions:
            raise ServiceError("ResourceNotFound", _NOT_FOUND)
        return [a for a in self.versions.aliases_of(machine_arn) if arn in a.version_arns()][::-1]

    def _routing(self, routing: Routing) -> tuple[str, tuple[tuple[str, int], ...]]:
        """Check a routing configuration; return its machine's ARN and its entries."""
        entries = tuple((arn, weight) for arn, weight in routing)
        arns = [arn for arn, _ in entries]
        check_routing_shape(entries)
        machines = set()
        for arn in arns:
            try:
                machines.add(check_version_arn(arn)[0])
            except ServiceError:
                raise _not_versions(arns) from None
        if len(machines) > 1:
            raise _foreign_versions(entries)
        if any(arn not in self.versions.versions for arn in arns):
            raise ServiceError("ResourceNotFound", _NOT_FOUND)
        return machines.pop(), entries

    # -- starting and describing ----------------------------------------------------------------

    async def _start_target(self, arn: str) -> tuple[StateMachineRecord, str | None]:
        """What StartExecution runs for this ARN: the machine or a version, and the alias used.

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist``.
        """
        _, qualifier = split_state_machine_arn(arn)
        if qualifier is None or qualifier.isdigit():
            return await self.describe_state_machine(arn), None
        alias = self.versions.aliases.get(arn)
        if alias is None:
            raise _no_machine(arn)
        version = self.versions.versions.get(self._pick(alias))
        if version is None:  # not reachable: a routed version cannot be deleted
            raise _no_machine(arn)
        return version, arn

    def _pick(self, alias: AliasRecord) -> str:
        """A version of the alias, chosen at random by weight."""
        roll = self.rng.randrange(_TOTAL_WEIGHT)
        for arn, weight in alias.routing:
            if roll < weight:
                return arn
            roll -= weight
        return alias.routing[-1][0]

    def _version(self, arn: str) -> StateMachineRecord | None:
        """The version with this ARN, or None."""
        return self.versions.versions.get(arn)

    async def _listed_machine(self, arn: str) -> StateMachineRecord:
        """The machine (or version) whose executions ListExecutions lists; an alias's machine."""
        alias = self.versions.aliases.get(arn)
        if alias is not None:
            return await self.describe_state_machine(alias.state_machine_arn)
        return await self.describe_state_machine(arn)

    def _executions_of(self, arn: str, machine: StateMachineRecord) -> list[ExecutionRecord]:
        """The executions of a machine, or those started through one of its versions or aliases."""
        records = self.store.list_executions(machine.base_arn)
        if arn == machine.base_arn:
            return records
        return [r for r in records if arn in (r.state_machine_version_arn, r.state_machine_alias_arn)]

    def _remember_machine(self, execution_arn: str, machine: StateMachineRecord) -> None:
        """Keep the revision an execution started with (DescribeStateMachineForExecution)."""
        self.versions.ran_with[execution_arn] = machine

    async def describe_state_machine_for_execution(self, arn: str) -> StateMachineRecord:
        """The machine revision (or version) an execution runs (DescribeStateMachineForExecution).

        Raises:
            ServiceError: ``InvalidArn``, ``ExecutionDoesNotExist``, ``StateMachineDoesNotExist``.
        """
        execution = await self.describe_execution(arn)
        machine = self.versions.ran_with.get(arn) or self.store.get_state_machine(
            execution.state_machine_arn)
        if machine is None:
            raise _no_machine(execution.state_machine_arn)
        return machine

    def _machine(self, arn: str) -> StateMachineRecord:
        """The machine with this unqualified ARN.

        Raises:
            ServiceError: ``InvalidArn``, ``StateMachineDoesNotExist``.
        """
        _, qualifier = split_state_machine_arn(arn)
        machine = None if qualifier is not None else self.store.get_state_machine(arn)
        if machine is None:
            raise _no_machine(arn)
        return machine


def for_execution_shape(machine: StateMachineRecord) -> dict[str, Any]:
    """The DescribeStateMachineForExecution response for the revision an execution ran."""
    described = machine.to_aws()
    shape = {key: described[key] for key in ("name", "definition", "roleArn",
                                            "loggingConfiguration", "tracingConfiguration")}
    shape["stateMachineArn"] = machine.base_arn
    shape["updateDate"] = aws_time(machine.update_date or machine.creation_date)
    if machine.revision_id is not None:
        shape["revisionId"] = machine.revision_id
    return shape


def compile_definition(definition: Mapping[str, Any] | str, type_: str) -> tuple[str, StateMachine]:
    """Validate a definition (dict or JSON text) as CreateStateMachine does; (text, compiled).

    Raises:
        InvalidDefinition: the definition breaks a rule AWS enforces.
    """
    text = definition if isinstance(definition, str) else json.dumps(definition)
    parsed = parse_definition(definition) if isinstance(definition, str) else load(definition)
    check(parsed, type_)
    return text, compile_machine(parsed)


def check_version_description(publish: bool, description: str | None) -> None:
    """``versionDescription`` is allowed only with ``publish``; at most 256 characters.

    Raises:
        ServiceError: ``ValidationException``.
    """
    if description is not None and not publish:
        raise ServiceError("ValidationException",
                           "Version description can only be set when publish is true")
    check_description(description, "versionDescription")


def check_description(description: str | None, member: str = "description") -> None:
    """Raise ``ValidationException`` for a description over 256 characters."""
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise validation_error(description, member,
                               f"have length less than or equal to {MAX_DESCRIPTION}")


def check_alias_name(name: str) -> None:
    """Raise AWS's ``ValidationException`` for an alias name off the API model's pattern."""
    if len(name) > MAX_ALIAS_NAME:
        raise validation_error(name, "name",
                               f"have length less than or equal to {MAX_ALIAS_NAME}")
    if not is_alias_name(name):
        raise validation_error(name, "name",
                               f"satisfy regular expression pattern: {ALIAS_NAME_PATTERN}")


def check_routing_shape(entries: Sequence[tuple[str, int]]) -> None:
    """Count, distinct versions, weight range and sum of a routing configuration.

    Raises:
        ServiceError: ``ValidationException`` with AWS's messages.
    """
    if not 1 <= len(entries) <= 2:
        bound = "greater than or equal to 1" if not entries else "less than or equal to 2"
        raise validation_error(_java_list(entries), "routingConfiguration",
                               f"have length {bound}")
    arns = [arn for arn, _ in entries]
    if len(set(arns)) < len(arns):
        raise ServiceError("ValidationException",
                           "Routing configuration must contain distinct state machine version "
                           f"ARNs. Received: {_java_list(arns)}")
    for index, (_, weight) in enumerate(entries, start=1):
        member = f"routingConfiguration.{index}.member.weight"
        if weight < 0:
            raise validation_error(weight, member, "have value greater than or equal to 0")
        if weight > _TOTAL_WEIGHT:
            raise validation_error(weight, member, "have value less than or equal to 100")
    weights = [weight for _, weight in entries]
    if sum(weights) != _TOTAL_WEIGHT:
        raise ServiceError("ValidationException",
                           "Sum of routing configuration weights must equal 100. "
                           f"Received: {_java_list(weights)}")


def _java_list(items: Sequence[Any]) -> str:
    """A list as AWS (Java) prints it: ``[a, b]``."""
    return f"[{', '.join(str(item) for item in items)}]"


def _not_versions(arns: Sequence[str]) -> ServiceError:
    return ServiceError("ValidationException",
                        "Routing configuration must contain state machine version ARNs. "
                        f"Received: {_java_list(arns)}")


def _foreign_versions(entries: Sequence[tuple[str, int]]) -> ServiceError:
    arns = [arn for arn, _ in entries]
    return ServiceError("ValidationException",
                        "Routing configuration must contain versions of the same state machine. "
                        f"Received: {_java_list(arns)}")


def _no_machine(arn: str) -> ServiceError:
    return ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def _same_json(a: str, b: str) -> bool:
    """True when two definition texts hold the same JSON (spacing and key order aside)."""
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b
