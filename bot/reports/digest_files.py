"""The digest's attachments: one PNG chart for a phone screen and one XLSX workbook.

Pure: aggregates and a translator in, bytes out. matplotlib is imported when a chart is drawn,
not when the bot starts (it costs memory and start-up time every process would pay).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.i18n import Translator
from bot.reports.digest_text import item_label
from bot.reports.export import Row, cell_text, column_width
from bot.services.digest import SCALE_MAX, Digest, ProgramDigest
from bot.services.level3 import PLAN_STEPS

# Diverging colours, low (red, orange) through grey to high (light and dark blue): a pair
# most colour-blind readers can tell apart.
COLOURS = ("#c0392b", "#e59866", "#d5d8dc", "#7fb3d5", "#1f618d")


PROGRAMS_CHARTED = 3
LABEL_WIDTH = 26  # characters per line of an item's label (wrapped, never cut)
TITLE_WIDTH = 44


def charted_programs(digest: Digest) -> list[ProgramDigest]:
    """The programs drawn: those with figures, the most answered first."""
    shown = [p for p in digest.programs if not p.withheld and p.items]
    return sorted(shown, key=lambda p: -p.respondents)[:PROGRAMS_CHARTED]


def _wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) or text


def chart_figure(digest: Digest, t: Translator) -> Any:
    """The digest's chart as a matplotlib figure, for a phone: a panel per program (up to
    three, each named, its items in the questionnaire's order, an instructor's items named),
    the answers as diverging stacked bars with a legend of the scores, and the last 8 weeks
    when anything happened in them. The caller closes it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    programs = charted_programs(digest)
    trend = any(new for _, new, _ in digest.trend) or any(
        mean is not None for _, _, mean in digest.trend
    )
    heights = [1.4 + 0.62 * len(p.items) for p in programs] or [1.2]
    if trend:
        heights.append(3.0)
    fig, axes = plt.subplots(
        len(heights), 1, figsize=(6.4, sum(heights) + 0.9), dpi=150,
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    panels = [row[0] for row in axes]
    if not programs:
        panels[0].text(0.5, 0.5, t("digest.no_training"), ha="center", va="center", fontsize=13)
        panels[0].set_axis_off()
    for panel, program in zip(panels, programs, strict=False):
        _program_panel(panel, program, t)
    if programs:
        fig.legend(
            handles=[
                Patch(color=colour, label=_score_label(t, score))
                for score, colour in enumerate(COLOURS, start=1)
            ],
            loc="upper center", ncol=SCALE_MAX, fontsize=10, frameon=False,
            bbox_to_anchor=(0.5, 1.0), handlelength=1.2, columnspacing=1.0,
        )  # fmt: skip
    more = len([p for p in digest.programs if not p.withheld and p.items]) - len(programs)
    if more > 0:
        fig.text(0.01, 0.005, t("digest.chart_more", count=more), fontsize=10)
    if trend:
        bottom = panels[-1]
        weeks = [week.label[-3:] for week, _, _ in digest.trend]
        counts = [new for _, new, _ in digest.trend]
        bottom.bar(range(len(weeks)), counts, color="#7fb3d5")
        for x, n in enumerate(counts):
            bottom.text(x, n, str(n), ha="center", va="bottom", fontsize=11)
        bottom.set_xticks(range(len(weeks)), weeks, fontsize=11)
        bottom.set_title(t("digest.chart_trend"), fontsize=13, loc="left")
        bottom.set_ylabel(t("digest.chart_new_complaints"), fontsize=11)
        bottom.set_ylim(0, max([*counts, 1]) * 1.3)
        bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.tick_params(axis="y", labelsize=10)
        means = [(x, mean) for x, (_, _, mean) in enumerate(digest.trend) if mean is not None]
        if means:
            twin = bottom.twinx()
            twin.plot([x for x, _ in means], [m for _, m in means], color="#1f618d", marker="o")
            twin.set_ylim(1, SCALE_MAX)
            twin.yaxis.set_major_locator(MaxNLocator(integer=True))
            twin.set_ylabel(t("digest.chart_training_mean"), fontsize=11)
            twin.tick_params(axis="y", labelsize=10)
        for side in ("top",):
            bottom.spines[side].set_visible(False)
    fig.tight_layout(rect=(0, 0.02, 1, 1 - 0.45 / (sum(heights) + 0.9)))
    return fig


def _points(digest: Digest) -> range:
    """The scale points the workbook has columns for: the training's 1-5, or wider where a
    form's scale is (0-10, 1-7)."""
    items = [item for program in digest.programs for item in program.items]
    low = min([1, *(item.low for item in items)])
    high = max([SCALE_MAX, *(item.high for item in items)])
    return range(low, min(high, 10) + 1)


def _score_label(t: Translator, score: int) -> str:
    if score == 1:
        return t("digest.chart_low")
    if score == SCALE_MAX:
        return t("digest.chart_high", max=SCALE_MAX)
    return str(score)


def _colours(points: int) -> list[str]:
    """The diverging colours for a scale of `points` (the 1-5 palette, spread or repeated)."""
    if points == len(COLOURS):
        return list(COLOURS)
    last = len(COLOURS) - 1
    return [COLOURS[round(i * last / max(points - 1, 1))] for i in range(points)]


def _program_panel(panel: Any, program: ProgramDigest, t: Translator) -> None:
    items = list(reversed(program.items))  # barh draws from the bottom: the first item on top
    title = _wrapped(f"{program.title} ({program.code})", TITLE_WIDTH)
    panel.set_title(title, fontsize=13, loc="left", fontweight="bold")
    labels = [_wrapped(item_label(t, i, program.instructor_names), LABEL_WIDTH) for i in items]
    for row, item in enumerate(items):
        shares = [n / item.n * 100 for n in item.counts]
        middle = len(shares) // 2
        left = -(sum(shares[:middle]) + shares[middle] / 2)
        for share, colour in zip(shares, _colours(len(shares)), strict=True):
            panel.barh(row, share, left=left, color=colour, height=0.7)
            left += share
        panel.text(
            103, row, f"{t.number(item.mean)} (n={item.n})", va="center", ha="left", fontsize=10
        )
    panel.set_yticks(range(len(items)), labels, fontsize=10)
    panel.axvline(0, color="#555555", linewidth=0.8)
    panel.set_xlim(-100, 135)
    panel.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
    panel.tick_params(axis="x", labelsize=10)
    panel.set_xlabel(_wrapped(t("digest.chart_scale", max=SCALE_MAX), 60), fontsize=10)
    for side in ("top", "right"):
        panel.spines[side].set_visible(False)


def chart_png(digest: Digest, t: Translator) -> bytes:
    """The chart (chart_figure) as a PNG."""
    fig = chart_figure(digest, t)
    from matplotlib import pyplot as plt

    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


DATE_FORMATS = {"created": "yyyy-mm-dd hh:mm", "closed": "yyyy-mm-dd hh:mm", "due": "yyyy-mm-dd"}
# Shares as percentages, means rounded to what is shown.
NUMBER_FORMATS = {"low_share": "0.0%", "mean": "0.00", "change": "+0.00;-0.00;0.00"}


def _translated(prefix: str) -> Callable[[Translator, object], object]:
    def translate(t: Translator, value: object) -> object:
        key = f"{prefix}{value}"
        return t(key) if t.has(key) else value

    return translate


# States, privacy and yes/no in the reader's language, never the stored codes.
LOCALIZED: dict[str, Callable[[Translator, object], object]] = {
    "state": _translated("state."),
    "privacy": _translated("reports.privacy."),
    "overdue": lambda t, v: t("reports.yes") if v else t("reports.no"),
}


def _sheet(
    workbook: Any,
    t: Translator,
    title: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, object]],
    wide: Sequence[str] = (),
) -> None:
    """A streamed sheet (openpyxl's write-only mode: fast, little memory): a bold frozen
    header in the reader's language, widths for reading, dates as dates, user text made
    safe."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title[:31])
    labels = [t(f"digest.col.{column}") for column in columns]
    for index, (column, label) in enumerate(zip(columns, labels, strict=True), start=1):
        width = column_width(label, wide=column in wide)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values: list[object] = []
        for column in columns:
            value = row.get(column)
            if column in LOCALIZED and value is not None:
                value = LOCALIZED[column](t, value)
            if isinstance(value, str):
                value = cell_text(value)
            elif column in NUMBER_FORMATS and isinstance(value, (int, float)):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = NUMBER_FORMATS[column]
                value = cell
            elif column in DATE_FORMATS and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMATS[column]
                value = cell
            values.append(value)
        sheet.append(values)


def workbook_xlsx(
    digest: Digest, t: Translator, units: dict[int, str], complaints: list[Row]
) -> bytes:
    """A sheet per section; the period's complaints without any reporter identity."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    c = digest.complaints
    summary: list[Row] = [
        {"figure": t("digest.x_period"), "value": digest.period.label},
        {"figure": t("digest.x_programs"), "value": len(digest.programs)},
        {"figure": t("digest.x_new"), "value": c.new_total},
        {"figure": t("digest.x_closed"), "value": c.closed_total},
        {"figure": t("digest.x_open"), "value": c.open_total},
        {"figure": t("digest.x_overdue"), "value": c.overdue_total},
        {"figure": t("digest.x_first_response"), "value": c.median_first_response_hours},
        {"figure": t("digest.x_close_days"), "value": c.median_close_days},
        {"figure": t("digest.x_rating"), "value": c.rating[0] if c.rating else None},
        {"figure": "IKM", "value": c.ikm.value if c.ikm else None},
        {"figure": t("digest.x_ikm_n"), "value": c.ikm.responses if c.ikm else 0},
        {"figure": t("digest.x_ikm_minimum"), "value": c.ikm_minimum},
    ]
    _sheet(
        workbook, t, t("digest.x_sheet_summary"), ("figure", "value"), summary, wide=("figure",)
    )
    items: list[Row] = []
    for program in digest.programs:
        base = {"program": program.code, "title": program.title}
        if program.withheld:
            items.append({**base, "item": t("digest.x_withheld"), "n": program.respondents})
            continue
        for item in program.items:
            row: Row = {
                **base,
                "item": item_label(t, item, program.instructor_names),
                "n": item.n,
                "mean": round(item.mean, 2),
                "change": round(item.change, 2) if item.change is not None else None,
                "low_share": round(item.low_share, 3),
                "not_attended": item.not_attended,
            }
            row.update({f"score_{item.low + i}": n for i, n in enumerate(item.counts)})
            items.append(row)
    score_columns = [f"score_{point}" for point in _points(digest)]
    _sheet(
        workbook,
        t,
        t("digest.x_sheet_training"),
        (
            "program",
            "title",
            "item",
            "n",
            "mean",
            "change",
            "low_share",
            "not_attended",
            *score_columns,
        ),
        items,
        wide=("title", "item"),
    )
    comments = [
        {"program": p.code, "comment": text} for p in digest.programs for text in p.comments
    ]
    _sheet(
        workbook, t, t("digest.x_sheet_comments"), ("program", "comment"), comments, ("comment",)
    )
    level3_rows: list[Row] = []
    for p in digest.programs:
        if p.level3 is None or p.level3.empty:
            continue
        r = p.level3
        level3_rows.append(
            {
                "program": p.code,
                "title": p.title,
                "alumni": r.respondents,
                "applied": round(r.applied, 2) if r.applied is not None else None,
                **{f"plan_{step}": r.plan.get(step, 0) for step in PLAN_STEPS},
                "supervisors": r.supervisors,
                "supervisor_change": _rounded(r.supervisor_means.get("perubahan")),
                "supervisor_applied": _rounded(r.supervisor_means.get("penerapan")),
            }
        )
    level3_columns = (
        "program", "title", "alumni", "applied", *(f"plan_{s}" for s in PLAN_STEPS),
        "supervisors", "supervisor_change", "supervisor_applied",
    )  # fmt: skip
    _sheet(workbook, t, t("digest.x_sheet_level3"), level3_columns, level3_rows, wide=("title",))
    proposals = [{"topic": topic, "count": n} for topic, n in digest.proposals]
    _sheet(workbook, t, t("digest.x_sheet_proposals"), ("topic", "count"), proposals, ("topic",))
    columns = ("ticket", "created", "category", "place", "state", "privacy", "overdue", "closed")
    _sheet(workbook, t, t("digest.x_sheet_complaints"), columns, complaints, ("place",))
    overdue = [
        {"ticket": o.ticket, "place": units.get(o.unit_id, "?"), "due": o.due, "days": o.days}
        for o in c.overdue
    ]
    _sheet(workbook, t, t("digest.x_sheet_overdue"), ("ticket", "place", "due", "days"), overdue)
    trend = [
        {"week": week.label, "new_complaints": new, "training_mean": mean}
        for week, new, mean in digest.trend
    ]
    _sheet(
        workbook, t, t("digest.x_sheet_trend"), ("week", "new_complaints", "training_mean"), trend
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
