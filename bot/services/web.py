"""Getting into the web workspace: single-use login links and opening a session.

Only organizers and admins get in; the web door loads the caller (`access.load`) again on every
request, so a removed organizer is refused at once, whatever their session cookie says.

**Limits**, counted in the database so that every webhook worker applies the same ones:
LINKS_PER_HOUR login links per person (the links themselves are the count), and per client
address BAD_TOKENS_PER_WINDOW login tokens that did not work and BAD_LAUNCHES_PER_WINDOW
Mini App launch data that did not check, within ATTEMPT_WINDOW. Over a limit the answer is a
polite refusal without looking at the token or the data, so guessing goes no faster. An
address is kept as a keyed hash only; the door commits after a refusal (the attempt is
counted in the caller's session, as `public.complaint_status` counts PIN guesses).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.services import access
from bot.services.access import Access, Need
from bot.services.errors import Refused
from bot.storage import web as store
from bot.storage import websec
from bot.storage.users import get_user

LOGIN_VALID = dt.timedelta(minutes=10)
LINKS_PER_HOUR = 5
LINK_WINDOW = dt.timedelta(hours=1)
BAD_TOKENS_PER_WINDOW = 10
BAD_LAUNCHES_PER_WINDOW = 10
ATTEMPT_WINDOW = dt.timedelta(minutes=10)
BAD_TOKEN = "token"
BAD_LAUNCH = "launch"
# Keys no chat id can be, for the turn (PostgreSQL advisory lock) an address's attempts take.
_ATTEMPT_TURN_BASE = -(2**61)


async def login_link(session: AsyncSession, *, caller: Access, now: dt.datetime) -> str:
    """A new single-use login token for the caller (organizer or admin), valid 10 minutes."""
    caller.require(Need.ORGANIZER)
    made = await store.logins_since(session, user_id=caller.user_id, since=now - LINK_WINDOW)
    if made >= LINKS_PER_HOUR:
        caller.audit(session, "web_login_link_refused", "user", caller.user_id)
        raise Refused("websec.too_many_links", count=LINKS_PER_HOUR)
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
    session: AsyncSession,
    settings: Settings,
    *,
    token: str,
    now: dt.datetime,
    address: str | None = None,
) -> Access:
    """The login link, used once: the caller it was made for, or a refusal. A token that does
    not work counts against the client's address."""
    subject = address_key(settings, address)
    await _take_turn(session, BAD_TOKEN, subject)
    await _refuse_over_limit(session, BAD_TOKEN, subject, now, BAD_TOKENS_PER_WINDOW)
    user_id = await store.redeem_login(session, token, now=now)
    if user_id is None:
        websec.record_attempt(session, kind=BAD_TOKEN, subject=subject, at=now)
        await session.flush()
        raise Refused("web.link_invalid")
    return await open_session(session, settings, user_id=user_id, how="link")


async def launch_login(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: int | None,
    now: dt.datetime,
    address: str | None = None,
) -> Access:
    """The caller Mini App launch data vouched for (`user_id`, checked by the door), or a
    refusal; launch data that did not check (`None`) counts against the client's address."""
    subject = address_key(settings, address)
    await _take_turn(session, BAD_LAUNCH, subject)
    try:
        await _refuse_over_limit(session, BAD_LAUNCH, subject, now, BAD_LAUNCHES_PER_WINDOW)
    except Refused:
        if user_id is not None:
            await _audit_limited(session, settings, user_id)
        raise
    if user_id is None:
        websec.record_attempt(session, kind=BAD_LAUNCH, subject=subject, at=now)
        await session.flush()
        raise Refused("web.launch_invalid")
    return await open_session(session, settings, user_id=user_id, how="mini_app")


async def _audit_limited(session: AsyncSession, settings: Settings, user_id: int) -> None:
    """An organizer Telegram vouched for was kept out by their network's failed attempts:
    the audit log says so (someone near them may be guessing)."""
    caller = await access.load(session, settings, user_id, await get_user(session, user_id))
    if caller.allows(Need.ORGANIZER) and not caller.banned:
        caller.audit(session, "web_login_limited", "user", user_id)


def address_key(settings: Settings, address: str | None) -> str:
    """The client address as it is kept: a keyed hash (an IPv4 address alone is too few
    possibilities for a plain hash to hide)."""
    message = f"web-address:{(address or 'unknown')[:64]}".encode()
    return hmac.new(settings.limit_secret, message, hashlib.sha256).hexdigest()


async def _refuse_over_limit(
    session: AsyncSession, kind: str, subject: str, now: dt.datetime, limit: int
) -> None:
    since = now - ATTEMPT_WINDOW
    if await websec.attempts_since(session, kind=kind, subject=subject, since=since) >= limit:
        minutes = int(ATTEMPT_WINDOW.total_seconds() // 60)
        raise Refused("websec.too_many_attempts", minutes=minutes)


async def _take_turn(session: AsyncSession, kind: str, subject: str) -> None:
    """An address's attempts counted one at a time across workers (PostgreSQL: an advisory
    lock until the transaction ends; SQLite's writing transactions already run in turn)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{kind}:{subject}".encode()).digest()
    key = _ATTEMPT_TURN_BASE - int.from_bytes(digest[:6], "big")
    await session.exec(select(func.pg_advisory_xact_lock(key)))
