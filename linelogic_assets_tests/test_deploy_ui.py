"""The deployment's UI in a real browser: headless Debian Chromium driven by Playwright, against the webserver
of the session's deployment. Screenshots go to test-artifacts/ui/."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator

import pytest

from linelogic_assets.definitions import defs
from linelogic_assets_tests.deployment import ARTIFACTS, Deployment

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed here (Debian: apt-get install chromium; .ci/run does it)")

SHOTS = ARTIFACTS / "ui"
PARTITIONED = "odds_snapshot"  # silver: every demo partition materializes it, and it has 10 checks


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


def test_asset_graph_shows_the_bronze_silver_and_gold_groups(page) -> None:
    graph = defs.resolve_asset_graph()
    sizes = Counter(graph.get(k).group_name for k in graph.get_all_asset_keys())
    assert set(sizes) == {"bronze", "silver", "gold"}
    open_view(page, "/asset-groups", "Global asset lineage")
    for group, size in sizes.items():
        # in the sidebar's tree, and as a box in the graph with its size
        page.get_by_text(group, exact=True).first.wait_for()
        assert page.get_by_text(group, exact=True).count() >= 2, group
        page.get_by_text(f"{size} assets").first.wait_for()
    page.get_by_text("fetching statuses").first.wait_for(state="detached")
    shot(page, "asset_graph")


def test_partition_status_of_a_partitioned_asset(page, deployment: Deployment) -> None:
    open_view(page, f"/assets/{PARTITIONED}?view=partitions", "Partitions")
    page.get_by_text(f"Materialized ({len(deployment.partitions)})").wait_for()
    page.get_by_text("Failed (0)").wait_for()
    # one demo partition: its date, then its sport, shows the run that materialized it
    day, sport = deployment.partitions[0].split("|")
    page.get_by_placeholder("Filter by date").fill(day)
    page.get_by_text(day, exact=True).first.click()
    page.get_by_text(sport, exact=True).first.click()
    page.get_by_text("View all historical events (1)").wait_for()
    shot(page, "partitions")


def test_checks_tab_lists_our_checks_with_their_last_results(page) -> None:
    expected = sorted(k.name for k in defs.resolve_asset_graph().asset_check_keys if k.asset_key.path == [PARTITIONED])
    assert len(expected) >= 5
    open_view(page, f"/assets/{PARTITIONED}?view=checks", f"Checks ({len(expected)})")
    for name in expected:
        page.get_by_text(name, exact=True).first.wait_for()
    # the last result of each check, as the list shows it: all of them ran and passed in the backfill
    assert page.get_by_text("Succeeded", exact=True).count() == len(expected)
    page.get_by_text(expected[-1], exact=True).first.click()
    page.get_by_text("Latest execution").wait_for()
    page.get_by_text("Passed", exact=True).first.wait_for()
    shot(page, "checks")
