"""The validator rules (RFC 9110 §13) that every single-resource GET keeps, checked over HTTP."""

from __future__ import annotations

from httpx import Response

from tests.conftest import ServiceClient

STALE = '"0123456789abcdef"'


async def assert_conditional_get(client: ServiceClient, url: str, headers: dict[str, str]) -> Response:
    """The resource at ``url`` has an ETag; ``If-None-Match`` naming it (exactly, weakly, in a list,
    or ``*``) is a 304 with the 200's validators and no body; a stale tag is the full 200.

    Returns the first 200, whose ``ETag`` the caller compares after changing the resource.
    """
    first = await client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    for held in (etag, f"W/{etag}", "*", f"{STALE}, {etag}", f"W/{STALE},W/{etag}", f" {STALE} ,  {etag} "):
        cached = await client.get(url, headers={**headers, "If-None-Match": held})
        assert cached.status_code == 304, (held, cached.text)
        assert cached.content == b""
        assert cached.headers["ETag"] == etag
        assert cached.headers["Cache-Control"] == first.headers["Cache-Control"]
    for held in (STALE, f"W/{STALE}", f'{STALE}, W/"another"', etag.strip('"'), f'{etag[:-1]}x"'):
        fresh = await client.get(url, headers={**headers, "If-None-Match": held})
        assert fresh.status_code == 200, held
        assert fresh.headers["ETag"] == etag
        assert fresh.content
    return first


async def assert_etag_changed(
    client: ServiceClient, url: str, headers: dict[str, str], before: str
) -> Response:
    """After a change, the old tag no longer matches: the full 200 with a new ETag."""
    after = await client.get(url, headers={**headers, "If-None-Match": before})
    assert after.status_code == 200, after.text
    assert after.headers["ETag"] != before
    return after
