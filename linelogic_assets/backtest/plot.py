"""The equity-curve picture of a backtest: bankroll over time above, drawdown below, as PNG bytes.

Built on `matplotlib.figure.Figure` with the Agg canvas, never pyplot: pyplot keeps global state that is not
safe across the threads of the webserver and the Dagster run workers.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

WIDTH_IN, HEIGHT_IN, DPI = 9.0, 5.0, 100  # 900 × 500 px
# savefig writes the matplotlib version as Software unless told not to; nothing else varies between runs
PNG_METADATA = {"Software": None}


def _utc_naive(times: pd.Series) -> np.ndarray:
    """UTC wall times as datetime64 (matplotlib's date axis takes naive values; the label says UTC)."""
    return pd.to_datetime(times, utc=True).dt.tz_localize(None).to_numpy()


def equity_png(curve: pd.DataFrame, starting_bankroll: float, title: str) -> bytes:
    """PNG of an equity curve (metrics.equity_curve): the same curve gives the same bytes."""
    # the Agg canvas directly: no global backend switch, so a process that has pyplot open elsewhere keeps it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    if curve.empty:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no settled bets", ha="center", va="center", fontsize=16, transform=ax.transAxes)
        fig.suptitle(title)
    else:
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        times = _utc_naive(curve["settled_at_utc"])
        # start the line at the starting bankroll, at the first settlement, so the first bet shows as a step
        x = np.concatenate([times[:1], times])
        bankroll = np.concatenate([[starting_bankroll], curve["bankroll"].to_numpy(dtype=float)])
        drawdown = np.concatenate([[0.0], np.nan_to_num(curve["drawdown_pct"].to_numpy(dtype=float)) * 100.0])

        top.step(x, bankroll, where="post", color="tab:blue", linewidth=1.4, label="bankroll")
        top.axhline(starting_bankroll, color="grey", linestyle="--", linewidth=1.0, label="starting bankroll")
        top.set_ylabel("bankroll")
        top.set_title(title)
        top.grid(alpha=0.3)
        top.legend(loc="upper left", fontsize="small")

        bottom.fill_between(x, -drawdown, 0.0, step="post", color="tab:red", alpha=0.4, linewidth=0)
        bottom.step(x, -drawdown, where="post", color="tab:red", linewidth=0.8)
        bottom.set_ylabel("drawdown")
        bottom.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        bottom.set_xlabel("settlement time (UTC)")
        bottom.grid(alpha=0.3)
        locator = AutoDateLocator()
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=PNG_METADATA)
    return buf.getvalue()
