"""The If-None-Match reading (RFC 9110 §13.1.2) that every conditional GET goes through, and the
Range / If-Range reading every partial download goes through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from apikit.conditional import RangeNotSatisfiableError, byte_range, etag_of, none_match

CURRENT = '"abc"'


@pytest.mark.parametrize(
    "header",
    [
        CURRENT,
        f"W/{CURRENT}",  # the weak comparison: W/"abc" matches "abc"
        "*",
        " * ",
        f'"x", {CURRENT}',
        f'W/"x",W/{CURRENT}',
        f' "x" ,  {CURRENT} ',
        f",,{CURRENT},",  # empty list elements are allowed
        f'"a,b", {CURRENT}',  # a comma inside an opaque tag is part of it
    ],
)
def test_tags_that_name_the_current_representation_match(header: str) -> None:
    assert none_match(header, CURRENT)
    assert none_match(header, f"W/{CURRENT}")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        '"x"',
        'W/"x", "ab"',
        "abc",  # unquoted
        '"abc',  # unterminated
        '"x", abc',  # one malformed element spoils the list
        '"x" "abc"',  # no comma between them
        'W/ "abc"',
        '"a b"',  # no spaces inside a tag
        '*, "abc"',  # * stands alone
    ],
)
def test_other_or_malformed_tags_match_nothing(header: str | None) -> None:
    assert not none_match(header, CURRENT)


def test_an_etag_follows_every_byte() -> None:
    assert etag_of(b"one") == etag_of(b"one")
    assert etag_of(b"one") != etag_of(b"onf")
    assert etag_of(b"one").startswith('"')


def request_with(**headers: str) -> Request:
    raw = [(name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Range": "bytes=0-9"}, (0, 9)),
        ({"Range": "bytes=90-"}, (90, 99)),
        ({"Range": "bytes=-10"}, (90, 99)),
        ({"Range": "bytes=-1000"}, (0, 99)),
        ({"Range": "bytes=5-1000"}, (5, 99)),
        ({"Range": "bytes=1-2,5-6"}, None),  # several ranges: the whole representation
        ({"Range": "items=0-9"}, None),
        ({"Range": "bytes=-"}, None),
        ({"Range": "bytes=0-9", "If-Range": CURRENT}, (0, 9)),
        ({"Range": "bytes=0-9", "If-Range": f"W/{CURRENT}"}, None),  # the strong comparison
        ({"Range": "bytes=0-9", "If-Range": '"other"'}, None),
        ({"Range": "bytes=-" + "9" * 5000}, (0, 99)),  # more digits than int() reads
    ],
)
def test_the_part_a_request_asks_for(headers: dict[str, str], expected: tuple[int, int] | None) -> None:
    assert byte_range(request_with(**headers), CURRENT, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=9-3", "bytes=" + "9" * 5000 + "-"])
def test_a_range_past_the_end_is_416(header: str) -> None:
    with pytest.raises(RangeNotSatisfiableError) as raised:
        byte_range(request_with(Range=header), CURRENT, 100)
    assert raised.value.headers == {"Content-Range": "bytes */100"}


@given(
    size=st.integers(min_value=1, max_value=2**40),
    first=st.one_of(st.just(""), st.integers(min_value=0, max_value=2**64).map(str)),
    last=st.one_of(st.just(""), st.integers(min_value=0, max_value=2**64).map(str)),
)
def test_a_served_range_lies_within_the_representation(size: int, first: str, last: str) -> None:
    try:
        span = byte_range(request_with(Range=f"bytes={first}-{last}"), CURRENT, size)
    except RangeNotSatisfiableError:
        return
    if span is not None:
        start, end = span
        assert 0 <= start <= end < size
