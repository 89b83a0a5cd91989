"""After the model changes, stored complaints and comments are scored again."""

from __future__ import annotations

import datetime as dt

from bot.analysis.sentiment import sentiment_of
from bot.services.complaints import Draft, file_complaint, recompute_sentiment
from bot.storage.complaints import Complaint
from bot.storage.db import Database
from bot.storage.places import place_by_code, seed_places
from tests.services.test_reminders import _clock


async def test_recompute_fills_and_refreshes_sentiment(db: Database) -> None:
    text = "Petugasnya kasar dan pelayanannya lambat sekali, saya kecewa."
    async with db.session() as session:
        await seed_places(session)
        unit = await place_by_code(session, "LSL-DINKES")
        assert unit is not None and unit.id is not None
        complaint, _ = await file_complaint(
            session,
            reporter_id=1,
            reporter_name=None,
            draft=Draft("Kesehatan", unit.id, text, "anonim", []),
            clock=_clock(dt.date(2026, 11, 23)),
            daily_limit=5,
        )
        complaint.rating, complaint.rating_comment = (
            4,
            "Terima kasih, sudah ditangani dengan baik.",
        )
        await session.commit()
        assert complaint.sentiment_label is None
        assert await recompute_sentiment(session, sentiment_of) == 1
        await session.commit()
    async with db.session() as session:
        stored = await session.get(Complaint, complaint.id)
    assert stored is not None
    assert (stored.sentiment_label, stored.sentiment_polarity) == sentiment_of(text)
    assert stored.sentiment_label == "negative"
    assert stored.rating_sentiment_label == "positive"
