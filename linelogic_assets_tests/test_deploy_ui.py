"""The deployment's UI in a real browser: headless Debian Chromium driven by Playwright, against the webserver
of the session's deployment. Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import base64
import shutil
from collections import Counter
from collections.abc import Iterator

import dagster as dg
import numpy as np
import pytest

from linelogic_assets.backtest.store import backtest_dir
from linelogic_assets.definitions import defs
from linelogic_assets_tests.deployment import ARTIFACTS, Deployment

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed here (Debian: apt-get install chromium; .ci/run does it)")

SHOTS = ARTIFACTS / "ui"
PARTITIONED = "odds_snapshot"  # silver: every demo partition materializes it, and it has 10 checks
# a silver and a bronze asset: both built by range runs, their pages must read as after one-partition runs
RANGED = [pytest.param(PARTITIONED, "", id="silver"), pytest.param("oddsapi_odds", "_bronze", id="bronze")]
BACKTEST = "favourites_draftkings"  # flat stakes on every DraftKings favourite: it has bets on the demo window
METRICS = ["bets", "profit", "roi", "yield", "hit_rate", "max_drawdown", "clv_mean", "p_value"]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, deployment: Deployment):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=deployment.topology.url)
    page = context.new_page()
    page.set_default_timeout(60_000)
    # a new instance greets visitors with a newsletter dialog, after a delay; whenever it covers what the
    # test is about to click, Playwright closes it first
    page.add_locator_handler(_newsletter(page), lambda skip: skip.click())
    yield page
    context.close()


def _newsletter(page):
    return page.get_by_role("button", name="Skip")


def open_view(page, path: str, ready: str) -> None:
    """Go to a UI route and wait until `ready` is shown."""
    page.goto(path)
    page.get_by_text(ready, exact=True).first.wait_for()


def shot(page, name: str) -> None:
    if _newsletter(page).is_visible():  # a screenshot is not an action: close the dialog by hand
        _newsletter(page).click()
        _newsletter(page).wait_for(state="detached")
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one


def test_asset_graph_shows_the_bronze_silver_gold_and_backtest_groups(page) -> None:
    graph = defs.resolve_asset_graph()
    sizes = Counter(graph.get(k).group_name for k in graph.get_all_asset_keys())
    assert set(sizes) == {"bronze", "silver", "gold", "backtest"}
    open_view(page, "/asset-groups", "Global asset lineage")
    for group, size in sizes.items():
        # in the sidebar's tree, and as a box in the graph with its size
        page.get_by_text(group, exact=True).first.wait_for()
        assert page.get_by_text(group, exact=True).count() >= 2, group
        page.get_by_text(f"{size} assets").first.wait_for()
    page.get_by_text("fetching statuses").first.wait_for(state="detached")
    shot(page, "asset_graph")


@pytest.mark.parametrize(("asset", "suffix"), RANGED)
def test_partition_status_of_a_partitioned_asset(page, deployment: Deployment, asset: str, suffix: str) -> None:
    open_view(page, f"/assets/{asset}?view=partitions", "Partitions")
    page.get_by_text(f"Materialized ({len(deployment.partitions)})").wait_for()
    page.get_by_text("Failed (0)").wait_for()
    # one demo partition: its date, then its sport, shows the run that materialized it
    day, sport = deployment.partitions[0].split("|")
    page.get_by_placeholder("Filter by date").fill(day)
    page.get_by_text(day, exact=True).first.click()
    page.get_by_text(sport, exact=True).first.click()
    page.get_by_text("View all historical events (1)").wait_for()
    shot(page, f"partitions{suffix}")


@pytest.mark.parametrize(("asset", "suffix"), RANGED)
def test_checks_tab_lists_our_checks_with_their_last_results(page, asset: str, suffix: str) -> None:
    expected = sorted(k.name for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key.path == [asset])
    assert len(expected) >= 5
    open_view(page, f"/assets/{asset}?view=checks", f"Checks ({len(expected)})")
    for name in expected:
        page.get_by_text(name, exact=True).first.wait_for()
    # the last result of each check, as the list shows it: all of them ran and passed in the backfill
    assert page.get_by_text("Succeeded", exact=True).count() == len(expected)
    page.get_by_text(expected[-1], exact=True).first.click()
    page.get_by_text("Latest execution").wait_for()
    page.get_by_text("Passed", exact=True).first.wait_for()
    shot(page, f"checks{suffix}")


def test_a_backtest_asset_page_shows_its_metrics_and_equity_curve(page, deployment: Deployment) -> None:
    """After the backfill, backtest_job ran (see deployment.py): its asset page shows the materialization's
    headline metrics and, behind the equity_curve entry, the PNG the run stored in the lake."""
    assert deployment.backtest_status == "SUCCESS"
    key = f"backtest_{BACKTEST}"
    with deployment.instance() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
    assert event is not None and event.run_id == deployment.backtest_run_id
    meta = event.asset_materialization.metadata
    assert meta["bets"].value > 0
    open_view(page, f"/assets/{key}", "equity_curve")
    # the metadata table: key, timestamp, value (the columns table repeats some names: keep every row)
    rows = page.locator("tr").evaluate_all("rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))")
    shown: dict[str, list[str]] = {}
    for cells in rows:
        if cells:
            shown.setdefault(cells[0], []).append(cells[-1])
    for k in METRICS:
        assert _as_shown(meta[k].value) in shown.get(k, []), (k, meta[k].value, shown.get(k))
    page.get_by_text("bets", exact=True).first.scroll_into_view_if_needed()
    shot(page, "backtest_metrics")

    row = page.locator("tr", has=page.get_by_text("equity_curve", exact=True))
    row.get_by_text("[Show Markdown]").click()
    image = page.get_by_role("dialog").locator("img[src^='data:image/png;base64,']")
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [900, 500]  # decoded by Chromium
    src = image.get_attribute("src")
    png = base64.b64decode(src.removeprefix("data:image/png;base64,"))
    assert png == (backtest_dir(deployment.lake, BACKTEST) / "equity.png").read_bytes()
    shot(page, "backtest_equity")


def _as_shown(value: object) -> str:
    """A metadata number as the UI prints it (JavaScript's shortest form: 1500, -0.0168)."""
    if isinstance(value, float):
        return np.format_float_positional(value, trim="-")
    return str(value)
