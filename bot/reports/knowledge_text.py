"""Level 2 texts of a chat message: the participant's own test result, and the class's
figures on the program page and in the digest (the web page prints the same lines)."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.knowledge import Knowledge, Result, Score

WITHHELD = "–"  # a withheld figure prints exactly like an empty one


def _percent(t: Translator, value: float | None) -> str:
    return WITHHELD if value is None else t("knowledge.percent", value=t.number(value, digits=1))


def _score(t: Translator, score: Score) -> str:
    return t(
        "knowledge.score", right=score.right, total=score.total, percent=_percent(t, score.percent)
    )


def result(t: Translator, found: Result) -> str:
    """Both scores, then each question with the right answer (and theirs where it differs)."""
    language = t.language
    lines = [
        t("knowledge.result_title"),
        t("knowledge.result_pre", score=_score(t, found.pre) if found.pre else WITHHELD),
        t("knowledge.result_post", score=_score(t, found.post)),
    ]
    for number, checked in enumerate(found.checked, start=1):
        labels = {o.code: o.label(language) for o in checked.question.options}
        right = labels[checked.right]
        if checked.ok:
            lines.append(
                t(
                    "knowledge.right",
                    number=number,
                    question=checked.question.text(language),
                    answer=right,
                )
            )
        else:
            chosen = labels.get(checked.chosen or "", WITHHELD)
            lines.append(
                t(
                    "knowledge.wrong",
                    number=number,
                    question=checked.question.text(language),
                    answer=right,
                    chosen=chosen,
                )
            )
    return "\n".join(lines)


def lines(t: Translator, figures: Knowledge | None) -> list[str]:
    """The class's means and gain; every figure "–" while withheld (nothing without a test)."""
    if figures is None:
        return []
    gain = figures.gain
    return [
        t(
            "knowledge.figures",
            pre=_percent(t, figures.pre),
            post=_percent(t, figures.post),
            gain=WITHHELD if gain is None else t.number(gain, digits=2),
        )
    ]
