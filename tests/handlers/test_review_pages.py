"""The chat's review of a long questionnaire (sixty items, some asked for each of eight
instructors): a page of answers at a time, so a keyboard never exceeds Telegram's 100
buttons, and every answer can still be reached and changed."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.buttons import ChangeAnswer, ReviewPage
from bot.handlers.questionnaire import REVIEW_PAGE, _render_review
from bot.i18n import Texts
from bot.services.kinds import Heading
from bot.services.questionnaires import ITEMS_MAX, Item, Localized, Question
from bot.services.runner import ReviewView

TELEGRAM_BUTTONS_MAX, ROW_MAX = 100, 8


def _entries() -> list[tuple[Item, None]]:
    def scale(code: str, per_instructor: bool) -> Question:
        words = Localized(id=f"Butir {code}", en=f"Item {code}")
        labels = {language: [str(n) for n in range(1, 6)] for language in ("id", "en")}
        return Question(
            code=code, kind="scale", text=words, labels=labels, per_instructor=per_instructor
        )

    entries: list[tuple[Item, None]] = []
    for n in range(ITEMS_MAX):
        if n < 10:
            entries += [(Item(scale(f"p{n}", True), i, f"Pengajar {i}"), None) for i in range(8)]
        else:
            entries.append((Item(scale(f"b{n}", False)), None))
    return entries


def test_a_long_review_is_paged_and_every_answer_can_be_changed() -> None:
    t = Texts("id", ZoneInfo("Asia/Jakarta")).for_language("id")
    entries = _entries()
    assert len(entries) > TELEGRAM_BUTTONS_MAX
    changed: list[int] = []
    page, pages_seen = 0, 0
    while True:
        view = ReviewView(1, Heading(title="Evaluasi"), {}, list(entries), page=page)
        _, markup = _render_review(t, view)
        buttons = [button for row in markup.inline_keyboard for button in row]
        assert len(buttons) <= TELEGRAM_BUTTONS_MAX
        assert all(len(row) <= ROW_MAX for row in markup.inline_keyboard)
        pressed = [ChangeAnswer.parse(b.callback_data) for b in buttons]  # type: ignore[arg-type]
        changed += [p.index for p in pressed if p is not None]
        pages_seen += 1
        onward = [
            found
            for b in buttons
            if (found := ReviewPage.parse(b.callback_data)) is not None  # type: ignore[arg-type]
            and found.page > page
        ]
        if not onward:
            break
        page = onward[0].page
    assert pages_seen == -(-len(entries) // REVIEW_PAGE)
    assert changed == list(range(len(entries)))
