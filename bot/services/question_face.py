"""How one questionnaire item looks in the chat: its text and the words on its answer buttons.

Pure (no Telegram, no database), so the chat handler (bot/handlers/questionnaire.py) and the
workspace editor's preview (bot/web/questionnaire_editor.py) show an item from the same code:
what an organizer previews is what a participant is asked.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.i18n import Safe
from bot.services.questionnaires import NOT_ATTENDED, Item


@dataclass(frozen=True)
class Face:
    """The message (Telegram's HTML, catalog texts with escaped values) and the answer
    buttons as (label, value), top to bottom."""

    text: str
    answers: list[tuple[str, str]]


def question_text(item: Item, language: str, values: dict[str, str]) -> str:
    """The template's words (plain text, escaped here) with the kind's values put in."""
    text = html.escape(item.question.text(language), quote=False)
    named = {**values, "instructor": item.instructor_name}
    for name, value in named.items():
        text = text.replace("{" + name + "}", html.escape(value, quote=False))
    return text


def question_face(
    t: Any,
    item: Item,
    *,
    title: str,
    number: int,
    total: int,
    values: dict[str, str],
    shown_answer: str | None = None,
    language: str | None = None,
) -> Face:
    """The item as the chat asks it: number of total, section, words, hint, the current
    answer (or how to answer in writing), and the scale's or the options' buttons. The
    form's words are in `language` (default: the reader's), the bot's own in the reader's."""
    language, question = language or t.language, item.question
    section = question.section(language) if question.section else ""
    section = section.replace("{instructor}", item.instructor_name)
    text = t(
        "questionnaire.question",
        title=title,
        number=number,
        total=total,
        section=Safe(" · " + html.escape(section, quote=False)) if section else "",
        question=Safe(question_text(item, language, values)),
    )
    if question.hint:
        text += "\n" + t("xlsform.hint", hint=question.hint(language))
    if shown_answer is not None:
        text += "\n" + t("questionnaire.current", answer=shown_answer)
    elif question.kind == "text":
        text += "\n" + t("questionnaire.type_answer")
    elif question.kind == "integer":
        text += "\n" + t("xlsform.type_number")
    answers: list[tuple[str, str]] = []
    if question.kind == "scale":
        answers += [
            (f"{n} {question.label(language, n)}", str(n))
            for n in range(question.max, question.min - 1, -1)
        ]
        if question.not_attended:
            answers.append((t("xlsform.not_attended"), NOT_ATTENDED))
    elif question.kind == "choice":
        answers += [(option.label(language), option.code) for option in question.options]
    return Face(str(text), answers)
