"""The merge engine: a session's document is a pure function of the set of changes it holds.

No web or database code here. A change is ``set`` or ``delete`` at a JSON Pointer, identified by
``(actor, counter)``. The document is every accepted change applied, in ``(counter, actor)`` order,
to an empty object — so every replica holding the same changes holds the same document, whatever
the order, batching or duplication of deliveries (a last-writer-wins map CRDT keyed by Lamport
timestamps).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from apikit.jsoncodec import canonical

Op = Literal["set", "delete"]
Key = tuple[int, str]  # (counter, actor): the total order of changes
# The largest counter a device may send and the server may stamp: the largest integer every JSON
# reader (JavaScript's numbers, a device's) keeps exactly.
MAX_COUNTER = 2**53 - 1


class PointerError(ValueError):
    """A path that is not an RFC 6901 JSON Pointer this engine accepts."""


def parse_pointer(path: str, *, max_depth: int | None = None) -> tuple[str, ...]:
    """``"/assets/EXT~1001/result"`` → ``("assets", "EXT/001", "result")``.

    Tokens are always object keys (arrays are stored whole). ``~1`` is ``/`` and ``~0`` is ``~``;
    any other ``~`` escape is an error. The root (``""``) cannot be set or deleted. ``max_depth``
    is a request's limit, given where a request is checked; paths already accepted are read back
    without one, since the limit may have been raised since they were stored.
    """
    if not path.startswith("/"):
        raise PointerError("a path must start with '/'")
    raw_tokens = path[1:].split("/")
    if max_depth is not None and len(raw_tokens) > max_depth:
        raise PointerError(f"a path may have at most {max_depth} tokens")
    if "~" not in path:
        return tuple(raw_tokens)  # nothing escaped: the common case
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
            and canonical(self.value, ensure_ascii=False) == canonical(other.value, ensure_ascii=False)
        )


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


def pointer(tokens: Sequence[str]) -> str:
    """``("assets", "EXT/001")`` → ``"/assets/EXT~1001"``: the inverse of :func:`parse_pointer`.

    Escaping is unique, so a path's pointer string is canonical: the pointers under ``/a`` are
    exactly the strings that start with ``/a/``."""
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


@dataclass(frozen=True)
class Rebuild:
    """The subtrees of a document that a batch sorting before what it holds can change.

    The value at a node depends only on the changes *related* to it: those at the node, at its
    ancestors (which replace or remove it) and under it. Changes elsewhere never touch it. So an
    early batch is merged by folding again only the changes related to a few roots and putting the
    folded subtrees back, however long the history. A root is a changed path whose ancestors all
    exist as objects, or else its highest ancestor that does not (an early ``set`` may have
    created it)."""

    roots: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, document: dict[str, Any], changes: Iterable[Change]) -> Rebuild:
        candidates = {_root(document, change.tokens or parse_pointer(change.path)) for change in changes}
        roots: set[tuple[str, ...]] = set()
        for root in sorted(candidates, key=len):  # an ancestor root covers its descendants
            if not any(root[:depth] in roots for depth in range(1, len(root) + 1)):
                roots.add(root)
        return cls(frozenset(roots))

    @cached_property
    def root_paths(self) -> frozenset[str]:
        return frozenset(pointer(root) for root in self.roots)

    @cached_property
    def ancestor_paths(self) -> frozenset[str]:
        """Pointers of every root and every ancestor of one: changes there are related."""
        return frozenset(pointer(root[:depth]) for root in self.roots for depth in range(1, len(root) + 1))

    def path_ranges(self) -> list[tuple[str, str]]:
        """Byte ranges ``[low, high)`` of paths holding every related change, for a database to
        read them by (and perhaps a few more, which :meth:`covers` leaves out): a root and its
        subtree lie in ``[root, root + "0")`` ("0" is the character after "/"), an ancestor in
        ``[ancestor, ancestor + "\\x01")``."""
        ranges = {(path, path + "0") for path in self.root_paths}
        ranges.update((path, path + "\x01") for path in self.ancestor_paths - self.root_paths)
        return sorted(ranges)

    def covers(self, change: Change) -> bool:
        """Whether ``change`` is related to a root (so it must be folded again): its path is a
        root's or an ancestor's, or starts with a root's followed by ``/``. Pointers are canonical,
        so this compares strings, as the database does."""
        path = change.path
        if path in self.ancestor_paths:
            return True
        slash = path.find("/", 1)
        while slash != -1:
            if path[:slash] in self.root_paths:
                return True
            slash = path.find("/", slash + 1)
        return False

    def apply(self, document: dict[str, Any], related: Iterable[Change]) -> None:
        """Put back into ``document`` each root's subtree, folded from the ``related`` changes."""
        folded = fold(related)
        for root in self.roots:
            *parents, last = root
            source: Any = folded
            for token in parents:
                source = source.get(token) if isinstance(source, dict) else None
            target = document
            for token in parents:  # every ancestor of a root exists as an object
                target = target[token]
            if isinstance(source, dict) and last in source:
                target[last] = source[last]
            else:
                target.pop(last, None)


def _root(document: dict[str, Any], tokens: tuple[str, ...]) -> tuple[str, ...]:
    node = document
    for depth, token in enumerate(tokens[:-1], start=1):
        child = node.get(token)
        if not isinstance(child, dict):
            return tokens[:depth]
        node = child
    return tokens


@dataclass
class MergeState:
    """What a session keeps between batches, so in-order batches never replay history."""

    document: dict[str, Any]
    vector_clock: dict[str, int]
    last_key: Key | None  # the greatest key applied so far

    def in_order(self, new: Iterable[Change]) -> bool:
        """Whether every change of ``new`` sorts after everything applied so far."""
        return self.last_key is None or min(change.key for change in new) > self.last_key


def merge(
    state: MergeState,
    new: Sequence[Change],
    history: Iterable[Change] | None = None,
    rebuild: Rebuild | None = None,
) -> MergeState:
    """``state`` with ``new`` (already de-duplicated) merged in; ``state.document`` is updated in place.

    When every new change sorts after everything applied, they are applied to the current document
    (the common case: a device syncing in order). Otherwise only the subtrees they can change are
    folded again (see :class:`Rebuild`), from the changes already held that are related to them:
    ``history`` must hold at least those, and may hold more. A caller that has already worked out
    ``Rebuild.of(state.document, new)`` to read that history passes it, so it is not done twice.
    """
    if not new:
        return state
    ordered = sorted(new, key=lambda change: change.key)
    clock = dict(state.vector_clock)
    for change in ordered:
        clock[change.actor] = max(clock.get(change.actor, 0), change.counter)
    last_key = ordered[-1].key if state.last_key is None else max(state.last_key, ordered[-1].key)
    document = state.document
    if state.in_order(ordered):
        for change in ordered:
            apply(document, change)
        return MergeState(document, clock, last_key)
    if history is None:
        raise ValueError("an out-of-order change needs the history to rebuild from")
    rebuild = rebuild or Rebuild.of(document, ordered)
    rebuild.apply(document, [change for change in history if rebuild.covers(change)] + ordered)
    return MergeState(document, clock, last_key)
