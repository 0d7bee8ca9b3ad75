"""``/docs`` served from local assets, so it works with no internet and under a strict CSP."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

# No inline script: the CSP keeps script-src to 'self'.
_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: %r,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""


def install_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    page = _PAGE.format(title=f"{app.title} — API docs")
    init = _INIT % openapi_url

    async def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    async def docs_init() -> Response:
        return Response(init, media_type="text/javascript")

    app.add_api_route("/docs", docs_page, include_in_schema=False)
    app.add_api_route("/docs/init.js", docs_init, include_in_schema=False)
    app.mount("/docs/assets", StaticFiles(directory=_ASSETS), name="docs-assets")
