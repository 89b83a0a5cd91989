"""The digest's attachments: one PNG chart for a phone screen and one XLSX workbook.

Pure: aggregates and a translator in, bytes out. matplotlib is imported when a chart is drawn,
not when the bot starts (it costs memory and start-up time every process would pay).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import Translator
from bot.reports.digest_text import item_label
from bot.reports.export import Row, cell_text, column_width
from bot.services.digest import INDEX, REFERENCE, SCALE_MAX, Digest, ItemStat, ProgramDigest
from bot.services.level3 import PLAN_STEPS

# Diverging colours, low (red, orange) through grey to high (light and dark blue): a pair
# most colour-blind readers can tell apart.
COLOURS = ("#c0392b", "#e59866", "#d5d8dc", "#7fb3d5", "#1f618d")


PROGRAMS_CHARTED = 3
LABEL_WIDTH = 26  # characters per line of an item's label (wrapped, never cut)
TITLE_WIDTH = 44
LEGEND_WIDTH = 14  # characters per line of a scale's end words in its legend


def charted_programs(digest: Digest) -> list[ProgramDigest]:
    """The programs drawn: those with figures, the most answered first."""
    shown = [p for p in digest.programs if not p.withheld and p.items]
    return sorted(shown, key=lambda p: -p.respondents)[:PROGRAMS_CHARTED]


def _wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) or text


@dataclass(frozen=True)
class Legend:
    """What the colours of one scale mean: its points' colours and words, lowest first."""

    title: str
    entries: list[tuple[str, str]]  # (colour, words)


def _scale_of(item: ItemStat) -> tuple[int, int]:
    return item.low, item.high


def chart_legends(programs: Sequence[ProgramDigest], t: Translator) -> list[Legend]:
    """A legend per scale the chart shows (by its points, the fewest first): each point's
    colour, the lowest and highest named by the form's words when every item on that scale
    words them alike (else "lowest", "highest")."""
    by_scale: dict[tuple[int, int], list[ItemStat]] = {}
    for program in programs:
        for item in program.items:
            by_scale.setdefault(_scale_of(item), []).append(item)
    legends = []
    for (low, high), items in sorted(
        by_scale.items(), key=lambda kv: (kv[0][1] - kv[0][0], kv[0])
    ):
        language = "en" if t.language == "en" else "id"
        worded = {tuple(item.labels.get(language, [])) for item in items}
        words = next(iter(worded)) if len(worded) == 1 else ()
        if len(words) != high - low + 1:
            words = ()
        entries = []
        for index, colour in enumerate(_colours(high - low + 1)):
            point = low + index
            if point in (low, high) and words:
                label = _wrapped(f"{point} {words[index]}", LEGEND_WIDTH)
            elif point == low:
                label = t("chart2.lowest", point=point)
            elif point == high:
                label = t("chart2.highest", point=point)
            else:
                label = str(point)
            entries.append((colour, label))
        legends.append(Legend(t("chart2.legend_title", low=low, high=high), entries))
    return legends


def chart_axis_label(programs: Sequence[ProgramDigest], t: Translator) -> str:
    """The bars' axis: where low and high points are drawn, and that each mean is out of its
    own scale's top point (never "1-5" for a 1-4 or 1-7 item)."""
    scales = {_scale_of(item) for program in programs for item in program.items}
    if len(scales) == 1:
        ((low, high),) = scales
        return t("chart2.axis_one", low=low, high=high)
    return t("chart2.axis_mixed")


def chart_figure(digest: Digest, t: Translator) -> Any:
    """The digest's chart as a matplotlib figure, for a phone: a panel per program (up to
    three, each named, its items in the questionnaire's order, an instructor's items named),
    the answers as diverging stacked bars on each item's own scale with a legend per scale
    shown, and the last 8 weeks when anything happened in them. The caller closes it."""
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
    legends = chart_legends(programs, t)
    # Each legend's row: a title line and the points (two lines where words wrap).
    rows = [0.62 + 0.18 * max(label.count("\n") for _, label in lg.entries) for lg in legends]
    top = sum(rows) + 0.1
    total = sum(heights) + 0.45 + top
    fig, axes = plt.subplots(
        len(heights), 1, figsize=(6.4, total), dpi=150,
        gridspec_kw={"height_ratios": heights}, squeeze=False,
    )  # fmt: skip
    panels = [row[0] for row in axes]
    if not programs:
        panels[0].text(0.5, 0.5, t("digest.no_training"), ha="center", va="center", fontsize=13)
        panels[0].set_axis_off()
    axis_label = chart_axis_label(programs, t)
    for panel, program in zip(panels, programs, strict=False):
        _program_panel(panel, program, t, axis_label)
    used = 0.05
    for legend, height in zip(legends, rows, strict=True):
        fig.legend(
            handles=[Patch(color=colour, label=label) for colour, label in legend.entries],
            title=legend.title, title_fontsize=10, alignment="left",
            loc="upper center", ncol=len(legend.entries), fontsize=9, frameon=False,
            bbox_to_anchor=(0.5, 1 - used / total), handlelength=1.0, columnspacing=0.8,
            handletextpad=0.4,
        )  # fmt: skip
        used += height
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
            low, high = digest.trend_scale
            twin.set_ylim(low, high)
            twin.yaxis.set_major_locator(MaxNLocator(integer=True))
            twin.set_ylabel(trend_label(digest, t), fontsize=11)
            twin.tick_params(axis="y", labelsize=10)
        for side in ("top",):
            bottom.spines[side].set_visible(False)
    fig.tight_layout(rect=(0, 0.02, 1, 1 - top / total))
    return fig


def trend_label(digest: Digest, t: Translator) -> str:
    """What the trend's training means are: on the shipped 1-5 as always, on one form's other
    scale, or the 0-100 index when the weeks' answers are on different scales."""
    if digest.trend_scale == REFERENCE:
        return str(t("digest.chart_training_mean"))
    if digest.trend_scale == INDEX:
        return str(t("digest_scales.trend_index"))
    low, high = digest.trend_scale
    return str(t("digest_scales.trend_scale", low=low, high=high))


def _span(digest: Digest) -> tuple[int, int]:
    """The lowest and highest point of the digest's items' scales (the training's 1-5 when
    there are none): the trend's mean axis and the workbook's score columns."""
    items = [item for program in digest.programs for item in program.items]
    if not items:
        return 1, SCALE_MAX
    return min(item.low for item in items), max(item.high for item in items)


def _points(digest: Digest) -> range:
    """The scale points the workbook has columns for: those of the digest's items' scales
    (1-4 has no "5" column; 0-10 has eleven)."""
    low, high = _span(digest)
    return range(low, high + 1)


def _colours(points: int) -> list[str]:
    """The diverging colours of a scale of `points`: its lower half from red to orange, its
    upper half from light to dark blue, an odd scale's middle grey (1-5: COLOURS)."""
    half = points // 2
    low = _ramp(COLOURS[0], COLOURS[1], half)
    high = _ramp(COLOURS[3], COLOURS[4], half)
    return [*low, *([COLOURS[2]] if points % 2 else []), *high]


def _ramp(start: str, end: str, count: int) -> list[str]:
    """`count` colours from `start` to `end` (one: `end` for the upper half's darkest and
    `start` for the lower half's strongest, so a 2- or 3-point scale keeps red and blue)."""
    if count == 1:
        return [start if start == COLOURS[0] else end]
    a = [int(start[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(end[i : i + 2], 16) for i in (1, 3, 5)]
    steps = []
    for n in range(count):
        mix = n / (count - 1)
        steps.append(
            "#" + "".join(f"{round(x + (y - x) * mix):02x}" for x, y in zip(a, b, strict=True))
        )
    return steps


def _program_panel(panel: Any, program: ProgramDigest, t: Translator, axis_label: str) -> None:
    items = list(reversed(program.items))  # barh draws from the bottom: the first item on top
    title = _wrapped(f"{program.title} ({program.code})", TITLE_WIDTH)
    panel.set_title(title, fontsize=13, loc="left", fontweight="bold")
    labels = [_wrapped(item_label(t, i, program.instructor_names), LABEL_WIDTH) for i in items]
    for row, item in enumerate(items):
        shares = [n / item.n * 100 for n in item.counts]
        # The lower half left of the line; an odd scale's middle point straddles it.
        middle = len(shares) // 2
        left = -sum(shares[:middle]) - (shares[middle] / 2 if len(shares) % 2 else 0)
        for share, colour in zip(shares, _colours(len(shares)), strict=True):
            panel.barh(row, share, left=left, color=colour, height=0.7)
            left += share
        mean = t("chart2.mean", mean=t.number(item.mean), high=item.high, n=item.n)
        panel.text(103, row, mean, va="center", ha="left", fontsize=10)
    panel.set_yticks(range(len(items)), labels, fontsize=10)
    panel.axvline(0, color="#555555", linewidth=0.8)
    panel.set_xlim(-100, 140)
    panel.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
    panel.tick_params(axis="x", labelsize=10)
    panel.set_xlabel(_wrapped(axis_label, 60), fontsize=10)
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
                "scale": f"{item.low}-{item.high}",
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
            "scale",
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
