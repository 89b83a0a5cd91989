"""The QR code PNG is a real image that a phone's scanner reads back as the join link."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from bot.reports.qr import qr_png


def test_the_png_decodes_to_the_join_link() -> None:
    url = "https://t.me/suara_bot?start=ikut_K7M2QX"
    data = qr_png(url)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.width >= 250
    decoded = zxingcpp.read_barcodes(image.convert("L"))
    assert [code.text for code in decoded] == [url]
