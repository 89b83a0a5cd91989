"""The public verification page of a certificate, `/v/<number>`: what its QR code opens.

It says whether the certificate is valid or revoked, with only the name it was issued to, the
training, its dates and JP (no NIP, no unit, no contact), read by the same service the chat's
certificates come from. An unknown number gets a polite 404, never a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.services import certificates
from bot.storage.certificates import NUMBER_MAX

if TYPE_CHECKING:
    from bot.web.app import WebDoor


def verification_route(door: WebDoor) -> Route:
    """GET /v/<number>: the number may arrive with its slashes encoded (the QR code's) or
    plain (typed by hand)."""

    async def page(request: Request) -> Response:
        session = door.session_of(request)
        t = door.public_language(request)
        number = unquote(str(request.path_params["number"]))[: NUMBER_MAX + 1]
        async with door.core.db.session() as db:
            found = await certificates.verify(db, number)
        if found is None:
            return door.render(
                "message.html",
                t,
                session,
                status=404,
                message=Markup(t("certificates.verify_unknown")),
            )
        return door.render("verification.html", t, session, found=found)

    return Route("/v/{number:path}", page, methods=["GET"])
