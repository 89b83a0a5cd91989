"""A unit's year as a chart for a phone: the IKM per month above, the training scores per month
below. Pure: the months' figures and a translator in, PNG bytes out. A withheld month has no
point (a gap in the line), as it prints "–" in the table beside it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from bot.i18n import Translator
from bot.services.digest import INDEX, REFERENCE, Scale
from bot.services.ikm import Month

IKM_COLOUR = "#1f618d"
TRAINING_COLOUR = "#e59866"


def _panel(
    panel: Any,
    labels: list[str],
    values: Sequence[float | None],
    *,
    title: str,
    limits: tuple[float, float],
    colour: str,
    digits: int,
    t: Translator,
) -> None:
    points = [(x, v) for x, v in enumerate(values) if v is not None]
    # None breaks the line, so a withheld month is never bridged by a guess.
    panel.plot(range(len(values)), [float("nan") if v is None else v for v in values],
               color=colour, marker="o", linewidth=2)  # fmt: skip
    for x, value in points:
        panel.annotate(t.number(value, digits=digits), (x, value), textcoords="offset points",
                       xytext=(0, 7), ha="center", fontsize=11)  # fmt: skip
    panel.set_title(title, fontsize=13, loc="left", fontweight="bold")
    panel.set_ylim(*limits)
    panel.set_xlim(-0.5, len(labels) - 0.5)
    panel.set_xticks(range(len(labels)), labels, fontsize=10, rotation=60)
    panel.tick_params(axis="y", labelsize=11)
    for side in ("top", "right"):
        panel.spines[side].set_visible(False)
    if not points:
        panel.text(0.5, 0.5, "–", transform=panel.transAxes, ha="center", va="center",
                   fontsize=20, color="#888888")  # fmt: skip


def trend_png(months: Sequence[Month], t: Translator, scale: Scale = REFERENCE) -> bytes:
    """Two panels over the same months, oldest on the left; the training scores on `scale`
    (one form's, or the 0-100 index over different ones: `IkmPage.scale`)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [m.month.code for m in months]
    # Narrow and tall, at a high resolution: the text stays readable on a 360 px screen.
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(4.8, 5.6), dpi=200)
    try:
        _panel(top, labels, [m.ikm for m in months], title=t("reportsweb.chart_ikm"),
               limits=(25, 105), colour=IKM_COLOUR, digits=2, t=t)  # fmt: skip
        low, high = scale
        title = (
            t("digest_scales.chart_training_index")
            if scale == INDEX
            else t("reportsweb.chart_training", low=low, high=high)
        )
        _panel(bottom, labels, [m.training for m in months], title=title,
               limits=(low, high + (high - low) / 10), colour=TRAINING_COLOUR, digits=2,
               t=t)  # fmt: skip
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
