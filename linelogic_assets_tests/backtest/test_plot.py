"""The equity-curve PNG: a valid image of a sensible size, byte-identical for the same curve, also when
drawn from several threads at once, and a picture even without settled bets."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from linelogic_assets.backtest.metrics import equity_curve
from linelogic_assets.backtest.plot import equity_png
from linelogic_assets_tests.backtest.test_metrics import bet, ledger

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each CRC checked: a truncated or garbled file fails here."""
    assert png[:8] == PNG_SIGNATURE
    out, i = [], 8
    while i < len(png):
        (length,) = struct.unpack(">I", png[i:i + 4])
        kind, data = png[i + 4:i + 8], png[i + 8:i + 8 + length]
        (crc,) = struct.unpack(">I", png[i + 8 + length:i + 12 + length])
        assert zlib.crc32(kind + data) == crc
        out.append((kind, data))
        i += 12 + length
    assert out[0][0] == b"IHDR" and out[-1][0] == b"IEND"
    return out


def size_of(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", chunks(png)[0][1][:8])
    return width, height


def pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def a_curve(seed: int = 0, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [bet("win" if rng.random() < 0.52 else "loss", price=float(rng.uniform(1.7, 2.3)), day=i // 5,
                minute=i % 5) for i in range(n)]
    return equity_curve(ledger(*rows), 1000.0)


def test_png_of_a_sensible_size():
    png = equity_png(a_curve(), 1000.0, "nba — value, flat 10")
    assert size_of(png) == (900, 500)
    assert 10_000 < len(png) < 400_000
    image = pixels(png)
    assert image.shape[:2] == (500, 900)
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas


def test_same_curve_same_bytes_and_no_version_stamp():
    curve = a_curve()
    png = equity_png(curve, 1000.0, "t")
    assert equity_png(curve.copy(), 1000.0, "t") == png
    assert all(kind not in (b"tEXt", b"iTXt", b"zTXt", b"tIME") for kind, _ in chunks(png))
    assert equity_png(a_curve(seed=1), 1000.0, "t") != png
    assert equity_png(curve, 1000.0, "another title") != png


def test_threads_draw_the_same_bytes():
    curves = [a_curve(seed) for seed in range(4)]
    alone = [equity_png(c, 1000.0, f"run {i}") for i, c in enumerate(curves)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda i: equity_png(curves[i], 1000.0, f"run {i}"), [0, 1, 2, 3] * 2))
    assert together == alone * 2


def test_empty_curve_is_still_a_picture():
    empty = equity_curve(ledger(bet("open")), 1000.0)
    png = equity_png(empty, 1000.0, "nothing settled")
    assert size_of(png) == (900, 500)
    assert equity_png(empty, 1000.0, "nothing settled") == png
    assert pixels(png)[..., :3].min() < 0.5  # the "no settled bets" text is on it


def test_single_bet_and_ruin_draw():
    one = equity_curve(ledger(bet("win")), 100.0)
    ruin = equity_curve(ledger(bet("loss", stake=100.0), bet("loss", stake=50.0, day=1)), 100.0)
    for curve in (one, ruin):
        assert size_of(equity_png(curve, 100.0, "edge case")) == (900, 500)


def test_draws_without_pyplot():
    # pyplot's global figure manager is what makes matplotlib unsafe across threads; a fresh interpreter,
    # since other tests (or their libraries) may import pyplot into this one
    code = (
        "import sys, pandas as pd\n"
        "from linelogic_assets.backtest.plot import equity_png\n"
        "curve = pd.DataFrame({'settled_at_utc': pd.to_datetime(['2025-01-01', '2025-01-02'], utc=True),\n"
        "    'bankroll': [110.0, 90.0], 'drawdown_pct': [0.0, 20 / 110]})\n"
        "assert equity_png(curve, 100.0, 't').startswith(b'\\x89PNG')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
