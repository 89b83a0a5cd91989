"""The QR code of a program's join link, as a PNG to show at the venue or print."""

from __future__ import annotations

import io


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A PNG of `url`, with error correction that survives a projector's glare (level Q)."""
    import segno  # when a code is drawn, not at start-up

    buffer = io.BytesIO()
    segno.make(url, error="q", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
