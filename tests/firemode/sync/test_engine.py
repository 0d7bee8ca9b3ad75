"""The merge engine alone: pointers, the meaning of set and delete, and convergence for all inputs."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firemode.sync.engine import (
    Change,
    MergeState,
    PointerError,
    Rebuild,
    apply,
    fold,
    merge,
    parse_pointer,
    pointer,
)


@pytest.mark.parametrize(
    ("path", "tokens"),
    [
        ("/assets/EXT-001/result", ("assets", "EXT-001", "result")),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("/~01", ("~1",)),  # ~0 first, then the 1 stays: RFC 6901's order of unescaping
        ("/", ("",)),
        ("//x", ("", "x")),
    ],
)
def test_pointers(path: str, tokens: tuple[str, ...]) -> None:
    assert parse_pointer(path) == tokens


@pytest.mark.parametrize("path", ["", "assets", "/a~2b", "/a~", "/" + "/".join(["x"] * 33)])
def test_bad_pointers(path: str) -> None:
    with pytest.raises(PointerError):
        parse_pointer(path, max_depth=32)


def test_depth_is_capped_only_when_asked() -> None:
    deep = "/" + "/".join(["x"] * 40)
    assert parse_pointer(deep) == ("x",) * 40  # a stored path, read back
    with pytest.raises(PointerError):
        parse_pointer(deep, max_depth=39)


def test_set_creates_objects_and_replaces_non_objects_on_the_way() -> None:
    document: dict[str, Any] = {"assets": "not an object"}
    apply(document, Change("d", 1, "set", "/assets/EXT-1/result", "pass"))
    assert document == {"assets": {"EXT-1": {"result": "pass"}}}


def test_set_stores_a_deep_copy() -> None:
    value = {"readings": [1, 2]}
    document: dict[str, Any] = {}
    apply(document, Change("d", 1, "set", "/x", value))
    value["readings"].append(3)
    assert document == {"x": {"readings": [1, 2]}}


def test_delete_removes_only_what_exists() -> None:
    document: dict[str, Any] = {"a": {"b": 1, "c": 2}, "s": "text"}
    apply(document, Change("d", 1, "delete", "/a/b"))
    apply(document, Change("d", 2, "delete", "/a/missing"))
    apply(document, Change("d", 3, "delete", "/s/inside"))  # through a non-object: nothing
    apply(document, Change("d", 4, "delete", "/nowhere/deep"))
    assert document == {"a": {"c": 2}, "s": "text"}


def test_order_is_counter_then_actor() -> None:
    changes = [
        Change("device-b", 5, "set", "/r", "b5"),
        Change("device-a", 5, "set", "/r", "a5"),
        Change("device-z", 4, "set", "/r", "z4"),
    ]
    assert fold(changes) == {"r": "b5"}  # (5, "device-b") is the greatest key


def test_values_compare_as_json() -> None:
    assert not Change("a", 1, "set", "/x", 1).same_content(Change("a", 1, "set", "/x", True))
    assert not Change("a", 1, "set", "/x", 1).same_content(Change("a", 1, "set", "/x", 1.0))
    assert Change("a", 1, "set", "/x", {"k": [1]}).same_content(Change("a", 1, "set", "/x", {"k": [1]}))


# --- convergence ---------------------------------------------------------------------------------

TOKENS = st.sampled_from(["assets", "EXT-1", "EXT-2", "result", "notes", "a/b", "~"])
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TOKENS, children, max_size=3),
    max_leaves=6,
)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@st.composite
def change_sets(draw: st.DrawFn) -> list[Change]:
    """Changes with distinct identities (counter, actor) over a small space of paths."""
    count = draw(st.integers(0, 25))
    identities = draw(
        st.lists(
            st.tuples(st.integers(1, 12), st.sampled_from(["device-a", "device-b", "device-c", "user-x"])),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    changes = []
    for counter, actor in identities:
        tokens = draw(st.lists(TOKENS, min_size=1, max_size=3))
        path = "/" + "/".join(escape(token) for token in tokens)
        if draw(st.booleans()):
            changes.append(Change(actor, counter, "set", path, draw(VALUES)))
        else:
            changes.append(Change(actor, counter, "delete", path))
    return changes


def reference_fold(changes: list[Change]) -> dict[str, Any]:
    """The specification, written out plainly and independently of the engine."""
    document: dict[str, Any] = {}
    for change in sorted(changes, key=lambda c: (c.counter, c.actor)):
        keys = [t.replace("~1", "/").replace("~0", "~") for t in change.path[1:].split("/")]
        node: Any = document
        if change.op == "set":
            for key in keys[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[keys[-1]] = copy.deepcopy(change.value)
        else:
            for key in keys[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
                if not isinstance(node, dict):
                    break
            else:
                node.pop(keys[-1], None)
    return document


def deliver(changes: list[Change], rng: random.Random) -> dict[str, Any]:
    """Merge the changes the way a server would receive them: shuffled, in random batches, with
    duplicates (which the service filters before merging, as here)."""
    deliveries = changes + [rng.choice(changes) for _ in range(len(changes) // 2)] if changes else []
    rng.shuffle(deliveries)
    state = MergeState({}, {}, None)
    held: dict[tuple[str, int], Change] = {}
    while deliveries:
        size = rng.randint(1, 6)
        batch, deliveries = deliveries[:size], deliveries[size:]
        new = {}
        for change in batch:
            identity = (change.actor, change.counter)
            if identity not in held:
                new[identity] = change
        history = list(held.values())
        state = merge(state, list(new.values()), history)
        held.update(new)
    return state.document


@settings(max_examples=300, deadline=None)
@given(changes=change_sets(), seed=st.integers(0, 2**32))
def test_any_delivery_gives_the_same_document(changes: list[Change], seed: int) -> None:
    expected = reference_fold(changes)
    assert fold(changes) == expected
    assert deliver(changes, random.Random(seed)) == expected
    assert deliver(list(reversed(changes)), random.Random(seed + 1)) == expected


@settings(max_examples=100, deadline=None)
@given(changes=change_sets())
def test_vector_clock_holds_the_highest_counter_per_actor(changes: list[Change]) -> None:
    state = merge(MergeState({}, {}, None), changes, [])
    expected: dict[str, int] = {}
    for change in changes:
        expected[change.actor] = max(expected.get(change.actor, 0), change.counter)
    assert state.vector_clock == expected


@settings(max_examples=500, deadline=None)
@given(held=change_sets(), early=change_sets())
def test_an_early_batch_folds_again_only_what_it_can_change(held: list[Change], early: list[Change]) -> None:
    """A batch sorting before what is held: folding only the changes related to its roots gives
    the document of everything; the path ranges a database reads them by hold every one."""
    early = [Change(c.actor, c.counter - 12, c.op, c.path, c.value) for c in early]  # all sort first
    state = merge(MergeState({}, {}, None), held, [])
    rebuild = Rebuild.of(state.document, early)
    ranges = rebuild.path_ranges()
    for change in held + early:
        related = change.path in rebuild.ancestor_paths or any(
            change.path.startswith(root + "/") for root in rebuild.root_paths
        )
        assert rebuild.covers(change) == related
        if related:
            assert any(low <= change.path < high for low, high in ranges)
    related = [change for change in held if rebuild.covers(change)]
    assert merge(state, early, related).document == reference_fold(held + early)


def test_an_early_set_under_a_later_delete_keeps_the_objects_it_created() -> None:
    """``set /a/y/z`` sorts before ``delete /a/y/z``: ``/a/y`` stays, an empty object."""
    state = merge(MergeState({}, {}, None), [Change("d", 3, "delete", "/a/y/z")], [])
    early = [Change("d", 2, "set", "/a/y/z", 1)]
    assert Rebuild.of(state.document, early).roots == {("a",)}
    assert merge(state, early, [Change("d", 3, "delete", "/a/y/z")]).document == {"a": {"y": {}}}


@pytest.mark.parametrize("tokens", [("assets", "EXT/1", "result"), ("~1", ""), ("a~b", "%_")])
def test_pointer_is_the_inverse_of_parse_pointer(tokens: tuple[str, ...]) -> None:
    assert parse_pointer(pointer(tokens)) == tokens


def test_an_early_change_needs_history() -> None:
    state = merge(MergeState({}, {}, None), [Change("a", 5, "set", "/x", 1)])
    with pytest.raises(ValueError, match="history"):
        merge(state, [Change("a", 2, "set", "/x", 0)])
