"""The If-None-Match reading (RFC 9110 §13.1.2) that every conditional GET goes through."""

from __future__ import annotations

import pytest

from apikit.conditional import etag_of, none_match

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
