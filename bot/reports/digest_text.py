"""The digest as a Telegram message (HTML), in the recipient's language. Pure: aggregates in,
text out; every value goes through the translator, which escapes it. The caller splits the
text into messages Telegram accepts (bot/render.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import Safe, Translator
from bot.render import shorten
from bot.reports import knowledge_text, level3_text
from bot.services.digest import INDEX, ComplaintDigest, Digest, ItemStat, ProgramDigest, Scale

TOP_CATEGORIES = 5
FULL_PROGRAMS = 4  # up to this many programs are shown in full; more get one line each
LISTED_PROGRAMS = 15


def _change(t: Translator, change: float | None) -> str:
    if change is None:
        return ""
    arrow = "▲" if change > 0.005 else "▼" if change < -0.005 else "＝"
    sign = "+" if change > 0 else ""
    return f" {arrow}{sign}{t.number(change)}"


def _on(t: Translator, value: float, scale: Scale, stated: Scale | None) -> str:
    """A mean as shown: bare where the line above states its scale (`stated`), else with
    its top point ("3,2/4") or, for an index over different scales, saying so."""
    shown = t.number(value)
    if scale == stated:
        return shown
    if scale == INDEX:
        return str(t("digest_scales.index_value", value=shown))
    return f"{shown}/{scale[1]}"


def _by_code_or_role(t: Translator, by_code: str, by_role: str, fallback: str) -> str:
    """The text of the item's code (the shipped templates'), else of its role, else
    `fallback`: a template with other codes is still named by what its items mean."""
    for key in (by_code, by_role):
        if t.has(key):
            return str(t(key))
    return fallback


def item_label(t: Translator, item: ItemStat, instructors: list[str]) -> str:
    # A role without a name of its own (the catch-all "rating") is named in the form's words.
    own = item.text(t.language).replace("{instructor}", "").strip() if item.text else ""
    role = f"kinds.role.{item.role}" if item.role != "rating" or not own else ""
    label = _by_code_or_role(t, f"digest.item.{item.code}", role, shorten(own, 60) or item.code)
    if 0 <= item.instructor < len(instructors):
        label = f"{label} ({shorten(instructors[item.instructor], 30)})"
    return label


def _program(
    t: Translator, p: ProgramDigest, units: dict[int, str], instructors: bool, minimum: int
) -> str:
    lines = [
        t(
            "digest.program_title",
            title=shorten(p.title, 80),
            code=p.code,
            unit=units.get(p.unit_id, "?"),
        ),
        t(
            "digest.response_rate",
            respondents=p.respondents,
            participants=p.participants,
            rate=t.number(p.rate * 100, digits=0),
            week=p.answered_in_period,
        ),
    ]
    if p.withheld:
        lines.append(t("digest.withheld", minimum=minimum))
        lines += knowledge_text.lines(t, p.knowledge)
        if p.level3 is not None:
            lines += level3_text.lines(t, p.level3)
        return "\n".join(lines)
    if p.overall is not None and p.band is not None:
        change = None if p.previous_overall is None else p.overall - p.previous_overall
        compared = t(f"digest.compared_{p.compared_with}") if p.compared_with else ""
        # On the form's own scale when its items share one ("dari 4"), else the 0-100 index.
        lines.append(
            t(
                "digest_scales.overall_index" if p.scale == INDEX else "digest.overall",
                score=t.number(p.overall),
                top=p.scale[1],
                band=t(f"digest.band_{p.band}"),
                change=_change(t, change),
                compared=compared,
            )
        )
    for item in p.items:
        if item.instructor >= 0 and not instructors:
            continue
        lines.append(
            t(
                "digest.item_line",
                item=item_label(t, item, p.instructor_names),
                mean=_on(t, item.mean, item.scale, p.scale),
                change=_change(t, item.change),
                n=item.n,
            )
            + (
                " · "
                + t.plural(
                    "xlsform.not_attended_count", item.not_attended, count=item.not_attended
                )
                if item.not_attended
                else ""
            )
        )
    for code, instructor in p.flags:
        item = next(i for i in p.items if (i.code, i.instructor) == (code, instructor))
        suggestion = _by_code_or_role(
            t, f"digest.suggest.{code}", f"kinds.suggest.{item.role}", t("digest.suggest")
        )
        lines.append(
            t(
                "digest.flag",
                item=item_label(t, item, p.instructor_names),
                share=t.number(item.low_share * 100, digits=0),
                point=item.low_top,
                suggestion=suggestion,
            )
        )
    if instructors and p.instructors:
        lines.append(t("digest.instructors"))
        scales = p.instructor_scales or [p.scale] * len(p.instructors)
        for (name, mean, n), scale in zip(p.instructors, scales, strict=True):
            shown = _on(t, mean, scale, p.scale)
            lines.append(t("digest.instructor_line", name=shorten(name, 60), mean=shown, n=n))
    total = sum(p.sentiment.values())
    if total:
        lines.append(
            t(
                "digest.sentiment",
                positive=p.sentiment.get("positive", 0),
                neutral=p.sentiment.get("neutral", 0),
                negative=p.sentiment.get("negative", 0),
                total=total,
            )
        )
    if p.themes:
        lines.append(t("digest.hard_themes", themes=", ".join(p.themes)))
    for comment in p.comments:
        lines.append(t("digest.comment", text=shorten(comment, 200)))
    lines += knowledge_text.lines(t, p.knowledge)
    if p.level3 is not None:
        lines += level3_text.lines(t, p.level3)
    return "\n".join(lines)


def _program_lines(t: Translator, digest: Digest, units: dict[int, str]) -> str:
    """Many programs (an admin's week): one line each, the weakest first, details in the XLSX."""
    # Programs of different forms are ranked by their place on their own scale.
    ranked = sorted(
        digest.programs, key=lambda p: (p.withheld, p.position if p.position is not None else 9)
    )
    shown = ranked[:LISTED_PROGRAMS]
    # One scale for all is said by none of them; different scales by each.
    scales = {p.scale for p in shown if not p.withheld and p.overall is not None}
    stated = scales.pop() if len(scales) == 1 else None
    lines = [t("digest.programs_many", count=len(ranked))]
    for p in shown:
        if p.withheld or p.overall is None or p.band is None:
            score = t("digest.withheld_short", minimum=digest.min_responses)
        else:
            score = t(
                "digest.score_short",
                score=_on(t, p.overall, p.scale, stated),
                band=t(f"digest.band_{p.band}"),
            )
        flags = ", ".join(
            item_label(t, i, p.instructor_names)
            for i in p.items
            if (i.code, i.instructor) in p.flags
        )
        lines.append(
            t(
                "digest.program_line",
                title=shorten(p.title, 50),
                code=p.code,
                unit=shorten(units.get(p.unit_id, "?"), 50),
                respondents=p.respondents,
                participants=p.participants,
                score=score,
                flags=f" ⚠️ {flags}" if flags else "",
            )
        )
    if len(ranked) > LISTED_PROGRAMS:
        lines.append(t("digest.programs_more", count=len(ranked) - LISTED_PROGRAMS))
    return "\n".join(lines)


def _complaints(t: Translator, c: ComplaintDigest, units: dict[int, str]) -> list[str]:
    lines = [t("digest.complaints_title")]
    if not (c.new_total or c.closed_total or c.open_total):
        lines.append(t("digest.no_complaints"))
        return lines
    lines.append(
        t("digest.complaint_counts", new=c.new_total, closed=c.closed_total, open=c.open_total)
    )
    if c.new_by_category:
        shown = ", ".join(
            f"{t.category(cat)} {n}" for cat, n in c.new_by_category[:TOP_CATEGORIES]
        )
        lines.append(t("digest.new_by_category", categories=shown))
    if len(c.open_by_unit) > 1 or (c.open_by_unit and len(units) > 1):
        shown = ", ".join(f"{units.get(u, '?')} {n}" for u, n in c.open_by_unit[:TOP_CATEGORIES])
        lines.append(t("digest.open_by_unit", units=shown))
    if c.overdue_total:
        lines.append(t("digest.overdue", count=c.overdue_total))
        for late in c.overdue[:5]:
            lines.append(
                t(
                    "digest.overdue_line",
                    ticket=late.ticket,
                    unit=units.get(late.unit_id, "?"),
                    due=t.date(late.due),
                    days=late.days,
                )
            )
    else:
        lines.append(t("digest.no_overdue"))
    if c.median_first_response_hours is not None:
        lines.append(
            t("digest.first_response", hours=t.number(c.median_first_response_hours, digits=1))
        )
    if c.median_close_days is not None:
        lines.append(t("digest.close_time", days=t.number(c.median_close_days, digits=1)))
    if c.rating is not None:
        lines.append(t("digest.rating", mean=t.number(c.rating[0]), n=c.rating[1]))
    if c.ikm is not None:
        minimum = (
            t("digest.ikm_minimum", minimum=c.ikm_minimum, population=c.population)
            if c.ikm_minimum is not None
            else ""
        )
        lines.append(
            t(
                "digest.ikm",
                value=t.number(c.ikm.value),
                grade=c.ikm.grade,
                grade_name=t(f"digest.grade_{c.ikm.grade}"),
                n=c.ikm.responses,
                minimum=minimum,
            )
        )
    if c.themes:
        lines.append(t("digest.complaint_themes", themes=", ".join(c.themes)))
    for unit_id, element, value, n in c.training_needs:
        lines.append(
            t(
                "digest.training_need",
                unit=units.get(unit_id, "?"),
                element=t(f"digest.item.{element}"),
                value=t.number(value),
                n=n,
                topic=t(f"digest.need_topic.{element}"),
            )
        )
    return lines


@dataclass
class Parts:
    """The digest's text in its parts, each already in the reader's language (HTML-escaped
    values): the message joins them, the workspace's week page shows them as they are."""

    title: str
    quiet: bool  # nothing happened and nothing is open: the title and `nothing` only
    nothing: str = ""
    training: list[str] = field(default_factory=list)  # a heading, then a block per program
    complaints: list[str] = field(default_factory=list)  # a heading, then one line each


def parts(
    digest: Digest, t: Translator, units: dict[int, str], *, instructors: bool = True
) -> Parts:
    """The digest's parts; `units` names every unit the aggregates mention."""
    period = t(
        "digest.period",
        week=digest.period.label,
        start=t.date(digest.period.monday),
        end=t.date(digest.period.sunday),
    )
    title = t(
        "digest.title_admin" if digest.scope is None else "digest.title", period=Safe(period)
    )
    if digest.empty and not digest.complaints.open_total:
        return Parts(title, True, nothing=t("digest.nothing"))
    training = [t("digest.training_title")]
    if 0 < len(digest.programs) <= FULL_PROGRAMS:
        training += [
            _program(t, p, units, instructors, digest.min_responses) for p in digest.programs
        ]
    elif digest.programs:
        training.append(_program_lines(t, digest, units))
    else:
        training.append(t("digest.no_training"))
    if digest.proposals:
        shown = "; ".join(f"{shorten(topic, 60)} ({n})" for topic, n in digest.proposals)
        training.append(t("digest.proposals", topics=shown))
    complaints = _complaints(t, digest.complaints, units)
    return Parts(title, False, training=training, complaints=complaints)


def render(
    digest: Digest, t: Translator, units: dict[int, str], *, instructors: bool = True
) -> str:
    """The whole digest as one message text (split into messages by the caller)."""
    found = parts(digest, t, units, instructors=instructors)
    if found.quiet:
        return "\n\n".join([found.title, found.nothing])
    return "\n\n".join([found.title, "\n\n".join(found.training), "\n".join(found.complaints)])
