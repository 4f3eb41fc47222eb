"""The vendored real fixtures are exactly the shared ones (when the shared folder is beside the repo)."""

from __future__ import annotations

import pytest

from linelogic_assets_tests.conftest import FIXTURES, SHARED_FIXTURES, fixture_files


def test_vendored_fixtures_are_present() -> None:
    assert len(fixture_files()) >= 12 and (FIXTURES / "README.md").exists()


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="no ../shared/fixtures/real beside this clone to compare")
def test_vendored_fixtures_match_the_shared_folder() -> None:
    shared = {p.relative_to(SHARED_FIXTURES): p.read_bytes() for p in SHARED_FIXTURES.rglob("*") if p.is_file()}
    vendored = {p.relative_to(FIXTURES): p.read_bytes() for p in FIXTURES.rglob("*") if p.is_file()}
    assert vendored == shared
