"""The merge engine: a session's document is a pure function of the set of changes it holds.

No web or database code here. A change is ``set`` or ``delete`` at a JSON Pointer, identified by
``(actor, counter)``. The document is every accepted change applied, in ``(counter, actor)`` order,
to an empty object — so every replica holding the same changes holds the same document, whatever
the order, batching or duplication of deliveries (a last-writer-wins map CRDT keyed by Lamport
timestamps).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["set", "delete"]
Key = tuple[int, str]  # (counter, actor): the total order of changes


class PointerError(ValueError):
    """A path that is not an RFC 6901 JSON Pointer this engine accepts."""


def parse_pointer(path: str, *, max_depth: int = 32) -> tuple[str, ...]:
    """``"/assets/EXT~1001/result"`` → ``("assets", "EXT/001", "result")``.

    Tokens are always object keys (arrays are stored whole). ``~1`` is ``/`` and ``~0`` is ``~``;
    any other ``~`` escape is an error. The root (``""``) cannot be set or deleted.
    """
    if not path.startswith("/"):
        raise PointerError("a path must start with '/'")
    raw_tokens = path[1:].split("/")
    if len(raw_tokens) > max_depth:
        raise PointerError(f"a path may have at most {max_depth} tokens")
    tokens = []
    for raw in raw_tokens:
        if "~" in raw.replace("~0", "").replace("~1", ""):
            raise PointerError(f"invalid escape in token {raw!r} (only ~0 and ~1)")
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


@dataclass(frozen=True, slots=True)
class Change:
    actor: str
    counter: int
    op: Op
    path: str
    value: Any = None
    tokens: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def key(self) -> Key:
        return (self.counter, self.actor)

    def same_content(self, other: Change) -> bool:
        """Same identity, same op, path and value: a duplicate, not a conflict.

        Values compare as canonical JSON, so ``1``, ``1.0`` and ``true`` are different values.
        """
        return (
            self.op == other.op
            and self.path == other.path
            and canonical(self.value) == canonical(other.value)
        )


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def apply(document: dict[str, Any], change: Change) -> None:
    """Apply one change to ``document`` in place."""
    tokens = change.tokens or parse_pointer(change.path)
    *parents, last = tokens
    node = document
    if change.op == "set":
        for token in parents:
            child = node.get(token)
            if not isinstance(child, dict):
                # A missing or non-object intermediate becomes an object.
                child = node[token] = {}
            node = child
        node[last] = copy.deepcopy(change.value)
        return
    for token in parents:
        child = node.get(token)
        if not isinstance(child, dict):
            return  # the path does not exist: deleting it changes nothing
        node = child
    node.pop(last, None)


def fold(changes: Iterable[Change]) -> dict[str, Any]:
    """The document of a set of changes: each applied in ``(counter, actor)`` order to ``{}``."""
    document: dict[str, Any] = {}
    for change in sorted(changes, key=lambda change: change.key):
        apply(document, change)
    return document


@dataclass
class MergeState:
    """What a session keeps between batches, so in-order batches never replay history."""

    document: dict[str, Any]
    vector_clock: dict[str, int]
    last_key: Key | None  # the greatest key applied so far

    @property
    def highest_counter(self) -> int:
        return max(self.vector_clock.values(), default=0)


def merge(state: MergeState, new: Sequence[Change], history: Iterable[Change] | None = None) -> MergeState:
    """``state`` with ``new`` (already de-duplicated) merged in.

    When every new change sorts after everything applied, they are applied to the current document
    (the common case: devices syncing in order). Otherwise the document is rebuilt from ``history``
    (all changes already held) plus ``new``, which the caller must then supply.
    """
    if not new:
        return state
    ordered = sorted(new, key=lambda change: change.key)
    clock = dict(state.vector_clock)
    for change in ordered:
        clock[change.actor] = max(clock.get(change.actor, 0), change.counter)
    last_key = ordered[-1].key if state.last_key is None else max(state.last_key, ordered[-1].key)
    if state.last_key is None or ordered[0].key > state.last_key:
        document = state.document
        for change in ordered:
            apply(document, change)
        return MergeState(document, clock, last_key)
    if history is None:
        raise ValueError("an out-of-order change needs the history to rebuild from")
    return MergeState(fold([*history, *ordered]), clock, last_key)
