"""The certificate (e-sertifikat) as a PDF: A4 landscape in the style Indonesian government
training certificates take (the issuing unit at the top, the number under the title, the
holder's name and NIP, what they attended and for how many JP, the signatory at the bottom
right, and a QR code of the verification page at the bottom left).

Drawn on a reportlab canvas directly (no layout engine): one page is a few dozen drawing
calls, which keeps a certificate well under the 200 ms it may take. Every word comes from the
catalogs (`certificates.pdf_*`) in the holder's language; values are drawn as plain text.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any

from babel.dates import format_date

from bot.i18n import Translator
from bot.services.certificates import CertificateView


def plain(text: str) -> str:
    """A catalog text (trusted markup, escaped values) as the plain text a canvas draws."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _long_date(t: Translator, day: dt.date) -> str:
    return format_date(day, format="d MMMM yyyy", locale=t.locale)


def _period(t: Translator, view: CertificateView) -> str:
    if view.starts == view.ends:
        return _long_date(t, view.starts)
    return plain(
        t(
            "certificates.pdf_period",
            start=_long_date(t, view.starts),
            end=_long_date(t, view.ends),
        )
    )


def certificate_pdf(view: CertificateView, t: Translator) -> bytes:
    """The certificate's single page, as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import cm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(plain(t("certificates.pdf_title")) + " " + view.number)
    pdf.setAuthor(view.issuer)
    navy, gold = colors.HexColor("#1f3a5f"), colors.HexColor("#b8892b")
    # The double frame of a printed certificate.
    pdf.setStrokeColor(navy)
    pdf.setLineWidth(4)
    pdf.rect(1 * cm, 1 * cm, width - 2 * cm, height - 2 * cm)
    pdf.setStrokeColor(gold)
    pdf.setLineWidth(1.2)
    pdf.rect(1.35 * cm, 1.35 * cm, width - 2.7 * cm, height - 2.7 * cm)
    middle = width / 2

    def centred(text: str, y: float, font: str, size: float, colour: object = navy) -> float:
        """Draws `text` centred, wrapped to the frame; returns the y below it."""
        pdf.setFont(font, size)
        pdf.setFillColor(colour)
        for line in simpleSplit(text, font, size, width - 6 * cm):
            pdf.drawCentredString(middle, y, line)
            y -= size * 1.25
        return y

    y = height - 2.6 * cm
    y = centred(view.issuer.upper(), y, "Helvetica-Bold", 13)
    y = centred(plain(t("certificates.pdf_title")).upper(), y - 34, "Helvetica-Bold", 34, gold)
    y = centred(plain(t("certificates.pdf_number", number=view.number)), y, "Helvetica", 11)
    y = centred(plain(t("certificates.pdf_given_to")), y - 14, "Helvetica", 12, colors.black)
    y = centred(view.name, y - 8, "Helvetica-Bold", 24)
    y = centred(plain(t("certificates.pdf_nip", nip=view.nip)), y + 4, "Helvetica", 12)
    y = centred(plain(t("certificates.pdf_as_participant")), y - 10, "Helvetica", 12, "black")
    y = centred(view.program, y - 4, "Helvetica-Bold", 16)
    held = t(
        "certificates.pdf_held",
        provider=view.provider,
        period=_period(t, view),
        hours=view.hours,
    )
    centred(plain(held), y - 4, "Helvetica", 12, colors.black)

    # The signatory, bottom right.
    right = width - 7 * cm
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(right, 5.6 * cm, _long_date(t, view.issued))
    for number, line in enumerate(simpleSplit(view.signatory_title, "Helvetica", 11, 9 * cm)):
        pdf.drawCentredString(right, 5.0 * cm - number * 13, line)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawCentredString(right, 2.7 * cm, view.signatory_name)
    if view.signatory_nip:
        pdf.setFont("Helvetica", 10)
        pdf.drawCentredString(
            right, 2.2 * cm, plain(t("certificates.pdf_nip", nip=view.signatory_nip))
        )

    # The QR code of the verification page, bottom left, with the address under it.
    if view.verify_url:
        _qr(pdf, view.verify_url, x=2.2 * cm, y=2.3 * cm, side=3.6 * cm)
        pdf.setFont("Helvetica", 8)
        pdf.setFillColor(colors.black)
        pdf.drawString(2.2 * cm, 2.0 * cm, plain(t("certificates.pdf_verify")))
        pdf.drawString(2.2 * cm, 1.65 * cm, view.verify_url[:110])
    if view.revoked:
        pdf.setFont("Helvetica-Bold", 60)
        pdf.setFillColor(colors.red)
        pdf.drawCentredString(middle, height / 2, plain(t("certificates.pdf_revoked")).upper())
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _qr(pdf: Any, url: str, *, x: float, y: float, side: float) -> None:
    """The QR code of `url` as one filled path of its dark runs (segno encodes it: a fraction
    of the time reportlab's widget takes, which draws each module as a shape)."""
    import segno

    matrix = segno.make(url, error="m", micro=False).matrix
    size = len(matrix)
    module = side / size
    path = pdf.beginPath()
    for row, line in enumerate(matrix):
        top = y + side - (row + 1) * module
        column = 0
        while column < size:
            if not line[column]:
                column += 1
                continue
            start = column
            while column < size and line[column]:
                column += 1
            path.rect(x + start * module, top, (column - start) * module, module)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawPath(path, stroke=0, fill=1)


def file_name(number: str) -> str:
    """`sertifikat-<number>.pdf`, the number's slashes as dashes."""
    return "sertifikat-" + re.sub(r"[^A-Za-z0-9-]+", "-", number).strip("-") + ".pdf"
