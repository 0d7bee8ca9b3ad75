"""The canonical text of a JSON value: what the merge compares, and what cursors, filter digests and
idempotency fingerprints sign or hash (so its bytes must never drift)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apikit.jsoncodec import canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


def test_the_text_is_pinned() -> None:
    value = {"b": "é", "a": [1, 1.0, True, None], "c": {"y": 2, "x": "\ud800"}}
    assert canonical(value) == '{"a":[1,1.0,true,null],"b":"\\u00e9","c":{"x":"\\ud800","y":2}}'
    assert canonical(value, ensure_ascii=False) == '{"a":[1,1.0,true,null],"b":"é","c":{"x":"\ud800","y":2}}'


def test_numbers_and_booleans_stay_distinct() -> None:
    assert len({canonical(1), canonical(1.0), canonical(True), canonical("1")}) == 4
    assert len({canonical(1, ensure_ascii=False), canonical(1.0, ensure_ascii=False)}) == 2


def test_default_makes_other_types_json() -> None:
    identifier = uuid.UUID(int=7)
    assert canonical({"id": identifier}, default=str) == f'{{"id":"{identifier}"}}'


@given(json_values)
def test_equal_values_have_one_text_however_written(value: Any) -> None:
    rewritten = json.loads(json.dumps(value, indent=2))  # other whitespace, keys in insertion order
    if isinstance(rewritten, dict):
        rewritten = dict(reversed(list(rewritten.items())))
    assert canonical(rewritten) == canonical(value)
    assert canonical(rewritten, ensure_ascii=False) == canonical(value, ensure_ascii=False)
    assert canonical(value).isascii()
    canonical(value).encode()  # always encodes, lone surrogates included
