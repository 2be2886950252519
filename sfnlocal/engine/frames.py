"""Frames: the position of an execution as plain data (DEVELOPERS.md rule 6).

An execution is a tree of frames: the root frame walks the top-level block; each Parallel branch and
each Map iteration walks its block in a child frame. A frame says which state it is in, with which
input, which variables its scope holds, how many retries each retrier of the current state has used
and what deadline it waits for. The interpreter reads and writes frames at every transition and hands
them to the store (``Store.save_frame``), so a restarted process can rebuild the coroutines from them.

``to_data`` gives the persistable form; the references kept for speed (the compiled ``Block``, the
parent frame) are rebuilt from the machine and the frame ids when a frame is loaded.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from typing import Any

from sfnlocal.asl.model import Block
from sfnlocal.engine.history import Data

__all__ = ["Frame", "VariableBytes"]


class VariableBytes:
    """The bytes of variable values an execution stores, over all its live scopes (a counter).

    One instance is shared by an execution's frames; not persisted (a frame loaded from the store
    starts a new count, so values assigned before a restart are not counted).
    """

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total = 0


@dataclass(slots=True, eq=False)
class Frame:
    """One walker's position.

    Attributes:
        id: ``""`` for the root; children append ``/<state>[<index>]`` (``/Par[1]``, ``/Par[1]/Map[7]``).
        block: the compiled block being walked.
        state: the current state's name.
        input: the current state's raw input.
        variables: this scope's own variables (inner scopes read their parents' too).
        parent: the enclosing frame (for variable lookup and ids), None for the root.
        prev_event: the id of this walker's newest event, used as the next ``previousEventId``.
        entered_event: the id of the current state's ``*StateEntered`` event.
        retry_counts: retries used per retrier of the current state, in this visit.
        deadline: epoch seconds the current state waits for (Wait, back-off), if any.
        map_item: ``(index, value)`` while this frame is a Map iteration.
        status: ``RUNNING``, ``SUCCEEDED``, ``FAILED`` or ``ABORTED``.
        output: the frame's result once it has ended.
        input_data: the serialised form of ``input`` when the previous state already computed it
            (its exit event's ``Data``), shared by the next entered event; not persisted.
        variable_bytes: the execution's count of stored variable bytes (shared with child frames).
        variable_sizes: the JSON size of each of this scope's own variables, as counted there
            (None until the scope assigns); not persisted.
    """

    id: str
    block: Block
    state: str
    input: Any
    variables: dict[str, Any] = field(default_factory=dict)
    parent: Frame | None = None
    prev_event: int = 0
    entered_event: int = 0
    retry_counts: list[int] = field(default_factory=list)
    deadline: float | None = None
    map_item: tuple[int, Any] | None = None
    status: str = "RUNNING"
    output: Any = None
    input_data: Data | None = None
    variable_bytes: VariableBytes = field(default_factory=VariableBytes)
    variable_sizes: dict[str, int] | None = None
    _view: ChainMap[str, Any] | None = None

    @property
    def scope(self) -> ChainMap[str, Any]:
        """All variables visible here: this scope's first, then the enclosing ones'."""
        if self._view is None:
            maps = [self.variables]
            outer = self.parent
            while outer is not None:
                maps.append(outer.variables)
                outer = outer.parent
            self._view = ChainMap(*maps)
        return self._view

    def data_of(self, value: Any) -> Data:
        """``value`` as ``Data``: the known ``input_data`` when ``value`` is that very object.

        AWS keeps the JSON text of a value that states pass on unchanged (a raw input's spacing
        survives), so events about the same object share one ``Data`` and its text.
        """
        known = self.input_data
        if known is not None and known.value is value:
            return known
        return Data(value)

    def child(
        self, suffix: str, block: Block, input: Any, prev_event: int,
        input_data: Data | None = None,
    ) -> Frame:
        """A frame for a branch or iteration walking ``block`` with a fresh variable scope.

        ``input_data``: the input's ``Data`` when its text is known (it keeps AWS's spacing).
        """
        return Frame(
            id=f"{self.id}/{suffix}", block=block, state=block.start_at, input=input,
            parent=self, prev_event=prev_event, input_data=input_data,
            variable_bytes=self.variable_bytes,
        )

    def store_variables(self, values: dict[str, Any], sizes: dict[str, int], total: int) -> None:
        """Assign ``values`` in this scope, their JSON ``sizes`` and the execution's new ``total``."""
        self.variables.update(values)
        if self.variable_sizes is None:
            self.variable_sizes = sizes
        else:
            self.variable_sizes.update(sizes)
        self.variable_bytes.total = total

    def discard_scope(self) -> None:
        """Uncount this scope's variables (a branch or iteration has ended; its scope goes)."""
        if self.variable_sizes:
            self.variable_bytes.total -= sum(self.variable_sizes.values())
            self.variable_sizes = None

    def to_data(self) -> dict[str, Any]:
        """The persistable form of this frame (JSON-compatible values only)."""
        return {
            "id": self.id,
            "block": self.block.pointer,
            "state": self.state,
            "input": self.input,
            "variables": self.variables,
            "parent": self.parent.id if self.parent is not None else None,
            "prev_event": self.prev_event,
            "entered_event": self.entered_event,
            "retry_counts": list(self.retry_counts),
            "deadline": self.deadline,
            "map_item": list(self.map_item) if self.map_item is not None else None,
            "status": self.status,
            "output": self.output,
        }
