"""HEAD on every GET route of both services: the GET's status and headers, and no body."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import uvicorn
from httpx import AsyncClient, Response
from starlette.types import Receive, Scope, Send

from alloy.identity.roles import Role as AlloyRole
from apikit.routes import route_contexts
from firemode.identity.roles import Role as FireModeRole
from tests.alloy.conftest import member
from tests.conftest import Service, ServiceClient
from tests.firemode.conftest import account

_PARAMETER = re.compile(r"\{[^}]+\}")
SOME_ID = "01890a5d-ac96-774b-bcce-b302099a8057"
# Bodies that change from one request to the next (counters), so their length may too.
_LIVE_BODIES = {"/metrics"}


async def admin_headers(spec: Service, client: ServiceClient) -> dict[str, str]:
    if spec.name == "firemode":
        return (await account(client, "admin@firemode.example.com", FireModeRole.ADMIN)).headers
    return (await member(client, "coach@alloy.example.com", AlloyRole.SUPER_ADMIN)).headers


def get_paths(client: ServiceClient) -> list[str]:
    """A concrete path for every route that answers GET (ids filled in), and a docs asset."""
    paths = [
        _PARAMETER.sub(SOME_ID, context.path_format)
        for context in route_contexts(client.app)
        if context.path_format and "GET" in (context.methods or ())
    ]
    return [*paths, "/docs/assets/swagger-ui.css"]


def _stamped(response: Response) -> bool:
    """An envelope carries its time, whose length may differ by a digit between two answers."""
    try:
        return isinstance(json.loads(response.content), dict) and "meta" in json.loads(response.content)
    except ValueError:
        return False


async def test_head_answers_every_get_route(service: tuple[Service, ServiceClient]) -> None:
    spec, client = service
    signed_in = {**(await admin_headers(spec, client)), "X-Request-ID": "head-walk"}
    paths = get_paths(client)
    assert {"/health", "/ready", "/openapi.json", "/docs", "/metrics"} <= set(paths)
    for headers in (signed_in, {"X-Request-ID": "head-walk"}):
        for path in paths:
            head = await client.head(path, headers=headers)
            get = await client.get(path, headers=headers)
            assert head.status_code == get.status_code != 405, (path, head.status_code, get.status_code)
            assert head.content == b"", path
            assert head.headers.keys() == get.headers.keys(), path
            for name, value in get.headers.items():
                if name != "content-length":
                    assert head.headers[name] == value, (path, name)
            if path not in _LIVE_BODIES and not _stamped(get):
                assert head.headers.get("content-length") == get.headers.get("content-length"), path


@pytest.mark.parametrize("path", ["/health", "/ready"])
async def test_head_of_health_and_ready_is_their_get_without_the_body(
    service: tuple[Service, ServiceClient], path: str
) -> None:
    _, client = service
    get = await client.get(path, headers={"X-Request-ID": "probe"})
    head = await client.head(path, headers={"X-Request-ID": "probe"})
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers == get.headers
    assert head.headers["Content-Length"] == str(len(get.content))
    metrics = (await client.get("/metrics")).text
    assert f'method="HEAD",route="{path}",status="200"' in metrics


async def test_head_where_get_is_not_allowed_is_still_405(service: tuple[Service, ServiceClient]) -> None:
    spec, client = service
    path = "/v1/auth/token" if spec.name == "firemode" else "/v1/auth/login"
    head = await client.head(path)
    assert (head.status_code, head.content) == (405, b"")
    assert head.headers["Allow"] == "POST"
    # Where GET is allowed, so is HEAD, and the 405 of another method says so.
    post = await client.post("/health")
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD"
    unknown = await client.head("/v1/no-such-thing")
    assert (unknown.status_code, unknown.content) == (404, b"")


async def test_head_through_a_real_server(service: tuple[Service, ServiceClient]) -> None:
    """A server reads the request's method from the scope while it sends (uvicorn expects no body
    bytes for HEAD only), so the app must not show it another method."""
    _, client = service
    failures: list[BaseException] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await client.app(scope, receive, send)
        except BaseException as failure:
            failures.append(failure)
            raise

    server = uvicorn.Server(
        uvicorn.Config(recording, host="127.0.0.1", port=0, lifespan="off", log_level="critical")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # uvicorn's Server offers a flag, not an event
            if serving.done():
                serving.result()  # it could not start: say why
                pytest.fail("the server stopped before it started")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for path in ("/health", "/ready", "/openapi.json", "/docs/assets/swagger-ui.css", "/v1/nope"):
                get = await http.get(path)
                head = await http.head(path)
                assert (head.status_code, head.content) == (get.status_code, b""), path
                assert head.headers.get("Content-Length") == get.headers.get("Content-Length"), path
    finally:
        server.should_exit = True
        await serving
    assert failures == []
