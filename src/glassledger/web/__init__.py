"""The web dashboard: static pages served by the API app under ``/dashboard``.

The pages are plain HTML and JavaScript. They call the same signed JSON API as every other
client (``/v1/...``, see docs/api.md), signing each request in the browser with the key file
the user loads (WebCrypto Ed25519; see docs/dashboard.md). The server holds no key and no
session: the permission matrix applies to the dashboard exactly as to any client.

Plotly's JavaScript is served from the installed ``plotly`` Python package
(``plotly/package_data/plotly.min.js``): no CDN, so the dashboard works offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def plotly_js() -> Path:
    """Path of the minified Plotly bundle shipped inside the ``plotly`` Python package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():  # pragma: no cover - a broken plotly installation
        raise FileNotFoundError(f"plotly.min.js not found at {path}")
    return path


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard under ``/dashboard`` (not part of the OpenAPI schema)."""
    bundle = plotly_js()

    @app.get("/dashboard/vendor/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> FileResponse:
        return FileResponse(bundle, media_type="text/javascript")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_root() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    app.mount("/dashboard", StaticFiles(directory=STATIC, html=True), name="dashboard")
