"""Getting into the web workspace: single-use login links and opening a session.

Only organizers and admins get in; the web door loads the caller (`access.load`) again on every
request, so a removed organizer is refused at once, whatever their session cookie says.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.services import access
from bot.services.access import Access, Need
from bot.services.errors import Refused
from bot.storage import web as store
from bot.storage.users import get_user

LOGIN_VALID = dt.timedelta(minutes=10)


async def login_link(session: AsyncSession, *, caller: Access, now: dt.datetime) -> str:
    """A new single-use login token for the caller (organizer or admin), valid 10 minutes."""
    caller.require(Need.ORGANIZER)
    token = await store.create_login(
        session, user_id=caller.user_id, now=now, valid_for=LOGIN_VALID
    )
    caller.audit(session, "web_login_link", "user", caller.user_id)
    return token


async def open_session(
    session: AsyncSession, settings: Settings, *, user_id: int, how: str
) -> Access:
    """The caller a new web session is for (after the Mini App's launch data or a login link
    was checked): refused unless an organizer or admin; audited."""
    user = await get_user(session, user_id)
    caller = await access.load(session, settings, user_id, user)
    caller.require(Need.ORGANIZER)
    caller.audit(session, "web_login", "user", user_id, detail=how)
    return caller


async def redeem_login(
    session: AsyncSession, settings: Settings, *, token: str, now: dt.datetime
) -> Access:
    """The login link, used once: the caller it was made for, or a refusal."""
    user_id = await store.redeem_login(session, token, now=now)
    if user_id is None:
        raise Refused("web.link_invalid")
    return await open_session(session, settings, user_id=user_id, how="link")
