"""The SKM report (bot/services/skm_report.py) as a workbook and as a PDF, in the reader's
language, laid out as PermenPANRB 14/2017 expects a unit's report: period and method,
respondents against the minimum sample, NRR per element, IKM and grade, a follow-up plan to
fill in, and the questionnaire as an annex."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from bot.i18n import Translator
from bot.reports.sheets import Column, Sheet, workbook
from bot.services.skm_report import SkmReport, quality

PLAN_ROWS = 5  # empty lines of the follow-up plan


def file_name(report: SkmReport, extension: str) -> str:
    return f"skm-{report.unit_code.lower()}-{report.period.code.lower()}.{extension}"


def summary(report: SkmReport, t: Translator) -> list[tuple[str, object]]:
    """(label, value) lines both files show, in order."""
    lines: list[tuple[str, object]] = [
        (t("reports.skm_unit"), report.unit),
        (t("reports.skm_period"), report.period_label),
        (t("reports.skm_method"), t("reports.skm_method_text")),
        (t("reports.skm_respondents"), report.respondents),
        (t("reports.skm_population"), report.population if report.population else "-"),
        (t("reports.skm_minimum"), report.minimum if report.minimum is not None else "-"),
    ]
    if report.enough_sample is not None:
        lines.append(
            (
                t("reports.skm_sample_enough"),
                t("reports.yes") if report.enough_sample else t("reports.no"),
            )
        )
    if report.withheld:
        lines.append((t("reports.skm_ikm"), t("reports.skm_withheld", k=report.min_responses)))
    elif report.ikm is not None and report.grade is not None:
        lines.append((t("reports.skm_ikm"), report.ikm))
        lines.append((t("reports.skm_grade"), f"{report.grade} ({quality(t, report.grade)})"))
    lines.append((t("reports.skm_made_on"), report.made_on))
    return lines


def _weighted(nrr: float | None) -> float | None:
    return round(nrr / 9, 3) if nrr is not None else None


def report_xlsx(report: SkmReport, t: Translator) -> bytes:
    rows = [{"figure": label, "value": value} for label, value in summary(report, t)]
    elements = [
        {
            "element": e.code.upper(),
            "question": e.name,
            "n": e.n if not report.withheld else None,
            "nrr": e.nrr,
            "weighted": _weighted(e.nrr),
        }
        for e in report.elements
    ]
    plan = [{"number": i + 1} for i in range(PLAN_ROWS)]
    annex = [
        {
            "element": code.upper(),
            "question": text,
            **{f"answer_{i + 1}": label for i, label in enumerate(labels)},
        }
        for code, text, labels in report.questionnaire
    ]
    sheets = [
        Sheet(
            t("reports.sheet_skm_summary"),
            [Column("figure", "text"), Column("value", "wide")],
            rows,
        ),
        Sheet(
            t("reports.sheet_skm_elements"),
            [
                Column("element"),
                Column("question", "wide"),
                Column("n", "int"),
                Column("nrr", "number"),
                Column("weighted", "number"),
            ],
            elements,
        ),
        Sheet(
            t("reports.sheet_skm_plan"),
            [
                Column("number", "int"),
                Column("plan_issue", "wide"),
                Column("plan_action", "wide"),
                Column("plan_when"),
                Column("plan_who"),
            ],
            plan,
        ),
        Sheet(
            t("reports.sheet_skm_annex"),
            [Column("element"), Column("question", "wide")]
            + [Column(f"answer_{i}", "text") for i in range(1, 5)],
            annex,
        ),
    ]
    return _dates_fixed(workbook(t, sheets), t)


def _dates_fixed(data: bytes, t: Translator) -> bytes:
    """The summary's 'made on' value is a date cell in the reader's date format."""
    import datetime as dt

    from openpyxl import load_workbook

    from bot.reports.sheets import DATE_FORMATS

    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        if isinstance(cell.value, dt.datetime | dt.date):
            cell.number_format = DATE_FORMATS.get(t.language, DATE_FORMATS["id"])
    sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_pdf(report: SkmReport, t: Translator) -> bytes:
    """An A4 PDF (reportlab, pure Python), the same content as the workbook."""
    import datetime as dt

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)

    def p(text: object, style: object = body) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def shown(value: object) -> str:
        if isinstance(value, float):
            return t.number(value)
        if isinstance(value, dt.date):
            return t.date(value)
        return str(value)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story: list[object] = [
        Paragraph(escape(t("reports.skm_title")), styles["Title"]),
        Paragraph(escape(f"{report.unit} · {report.period_label}"), styles["Heading3"]),
        Spacer(1, 0.3 * cm),
        Paragraph(escape(t("reports.skm_section_result")), styles["Heading2"]),
    ]
    facts = [[p(label), p(shown(value))] for label, value in summary(report, t)]
    table = Table(facts, colWidths=[6 * cm, 11 * cm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    story += [table, Spacer(1, 0.4 * cm)]

    story.append(Paragraph(escape(t("reports.skm_section_elements")), styles["Heading2"]))
    head = [p(t(f"reports.col.{key}")) for key in ("element", "question", "n", "nrr", "weighted")]
    lines = [head]
    for e in report.elements:
        lines.append(
            [
                p(e.code.upper()),
                p(e.name, small),
                p(e.n if not report.withheld else "-"),
                p(t.number(e.nrr) if e.nrr is not None else "-"),
                p(t.number(_weighted(e.nrr) or 0, digits=3) if e.nrr is not None else "-"),
            ]
        )
    elements = Table(lines, colWidths=[1.5 * cm, 9 * cm, 1.5 * cm, 2 * cm, 3 * cm], repeatRows=1)
    elements.setStyle(grid)
    story += [elements, Spacer(1, 0.2 * cm)]
    if report.withheld:
        story.append(p(t("reports.skm_withheld", k=report.min_responses)))
    elif report.ikm is not None and report.grade is not None:
        story.append(
            p(
                t(
                    "reports.skm_ikm_line",
                    ikm=t.number(report.ikm),
                    grade=report.grade,
                    quality=quality(t, report.grade),
                )
            )
        )
        weakest = sorted(
            (e for e in report.elements if e.nrr is not None), key=lambda e: e.nrr or 0
        )
        if weakest:
            names = ", ".join(f"{e.code.upper()} ({t.number(e.nrr or 0)})" for e in weakest[:3])
            story.append(p(t("reports.skm_weakest", elements=names)))

    story.append(Paragraph(escape(t("reports.skm_section_plan")), styles["Heading2"]))
    story.append(p(t("reports.skm_plan_hint")))
    plan = [
        [
            p(t(f"reports.col.{key}"))
            for key in ("number", "plan_issue", "plan_action", "plan_when", "plan_who")
        ]
    ]
    plan += [[p(i + 1), "", "", "", ""] for i in range(PLAN_ROWS)]
    plan_table = Table(
        plan,
        colWidths=[1 * cm, 5 * cm, 6 * cm, 2.5 * cm, 2.5 * cm],
        rowHeights=[None] + [1.2 * cm] * PLAN_ROWS,
    )
    plan_table.setStyle(grid)
    story += [plan_table, PageBreak()]

    story.append(Paragraph(escape(t("reports.skm_section_annex")), styles["Heading2"]))
    for code, text, labels in report.questionnaire:
        story.append(p(f"{code.upper()}. {text}"))
        story.append(p("   ".join(f"{i + 1} = {label}" for i, label in enumerate(labels)), small))
        story.append(Spacer(1, 0.15 * cm))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=t("reports.skm_title"),
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    document.build(story)
    return buffer.getvalue()
