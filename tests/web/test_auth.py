"""Mini App launch data checked exactly as Telegram specifies, and the signed session cookie."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.auth import (
    InvalidLaunch,
    SessionSigner,
    WebSession,
    check_launch_data,
    same_token,
)
from tests.web.helpers import launch_data

TOKEN = "123456:SANDBOX-token"


def _telegram_hash(fields: dict[str, str], token: str) -> str:
    """Telegram's recipe, written out again from the documentation."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def test_launch_data_signed_as_telegram_signs_it_is_accepted() -> None:
    now = int(time.time())
    data = launch_data(TOKEN, 7001, auth_date=now - 10, language="en")
    fields = dict(parse_qsl(data))
    assert fields["hash"] == _telegram_hash(fields, TOKEN)
    user = check_launch_data(data, TOKEN, now=now, max_age=3600)
    assert (user.user_id, user.language_code) == (7001, "en")


@pytest.mark.parametrize(
    "change",
    [
        "another user",
        "another bot",
        "no hash",
        "hash of other case",
        "field twice",
        "stale",
        "from the future",
        "garbage",
    ],
)
def test_forged_or_stale_launch_data_is_refused(change: str) -> None:
    now = int(time.time())
    data = launch_data(TOKEN, 7001, auth_date=now - 10)
    fields = dict(parse_qsl(data))
    if change == "another user":
        fields["user"] = fields["user"].replace("7001", "9001")
        data = urlencode(fields)
    elif change == "another bot":
        data = launch_data("654321:OTHER-token", 7001, auth_date=now - 10)
    elif change == "no hash":
        data = urlencode({k: v for k, v in fields.items() if k != "hash"})
    elif change == "hash of other case":
        fields["hash"] = fields["hash"].upper()
        data = urlencode(fields)
    elif change == "field twice":
        data += "&auth_date=" + str(now)
    elif change == "stale":
        data = launch_data(TOKEN, 7001, auth_date=now - 3601)
    elif change == "from the future":
        data = launch_data(TOKEN, 7001, auth_date=now + 3600)
    else:
        data = "%%%&&&==="
    with pytest.raises(InvalidLaunch):
        check_launch_data(data, TOKEN, now=now, max_age=3600)


def test_the_session_cookie_is_signed_and_expires() -> None:
    signer = SessionSigner(TOKEN)
    now = time.time()
    session = WebSession.new(7001, now=now, seconds=60)
    value = signer.dump(session)
    assert signer.load(value, now=now) == session
    assert signer.load(value, now=now + 61) is None  # expired
    _body, _, mac = value.rpartition(".")
    forged = WebSession(9001, session.csrf, session.expires)
    assert signer.load(signer.dump(forged)[: -len(mac)] + mac, now=now) is None
    assert signer.load(value, now=now) is not None
    assert SessionSigner("654321:OTHER-token").load(value, now=now) is None
    assert signer.load("nonsense", now=now) is None
    assert same_token(session.csrf, session.csrf)
    assert not same_token("", session.csrf) and not same_token(None, session.csrf)
