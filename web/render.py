"""Pages rendered with Datasette's templates (its base.html, our CSP nonce) and the answers
every page shares: not found, a bad request."""

from __future__ import annotations

from typing import Any

from datasette.utils.asgi import Response

NAV = [("/", "Home"), ("/search", "Search"), ("/map", "Map"), ("/archive", "Explore the data")]


async def page(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    body = await datasette.render_template(
        f"newsbot/{template}", {"nav": NAV, **context}, request=request
    )
    return Response.html(body, status=status)


async def not_found(datasette: Any, request: Any, message: str) -> Response:
    return await page(
        datasette, request, "message.html", {"title": "Not found", "message": message}, 404
    )
