"""Level 3 results as lines of a chat message (the program page and the digest share them)."""

from __future__ import annotations

from bot.i18n import Translator
from bot.render import shorten
from bot.services.level3 import PLAN_STEPS, Level3

SUPPORT_LENGTH = 160


def lines(t: Translator, results: Level3) -> list[str]:
    """Nothing for a program without released follow-up answers: withheld looks like empty."""
    found: list[str] = []
    if results.respondents:
        found.append(t("level3.title", n=results.respondents))
        if results.applied is not None:
            found.append(t("level3.applied", mean=t.number(results.applied)))
        if results.plan:
            found.append(t("level3.plan", **{s: results.plan.get(s, 0) for s in PLAN_STEPS}))
        for text in results.support:
            found.append(t("level3.support", text=shorten(text, SUPPORT_LENGTH)))
    if results.supervisors:
        means = results.supervisor_means
        found.append(
            t(
                "level3.supervisors",
                n=results.supervisors,
                change=t.number(means["perubahan"]) if "perubahan" in means else "-",
                applied=t.number(means["penerapan"]) if "penerapan" in means else "-",
            )
        )
    return found
