"""odds_math: price formats, the five de-vig methods, and their agreement with penaltyblog."""

from __future__ import annotations

import pickle
from fractions import Fraction

import numpy as np
import pytest
from penaltyblog.implied import calculate_implied

from linelogic_assets import odds_math
from linelogic_assets.odds_math import (
    METHODS,
    DevigError,
    OddsError,
    american_to_decimal,
    decimal_to_american,
    decimal_to_fractional,
    devig,
    devig_many,
    fractional_to_decimal,
    implied_probability,
    overround,
    shin_z,
)

REF = [2.6, 2.4, 4.3]
REF_2WAY = [1.5, 2.74]


def random_books(count: int, seed: int, n_choices: tuple[int, ...] = (2, 3, 4)) -> list[np.ndarray]:
    """Books with 1–10 % overround and prices in 1.1–15, the margin loaded unevenly (a random power
    of the fair probabilities) so the methods genuinely disagree."""
    rng = np.random.default_rng(seed)
    books: list[np.ndarray] = []
    while len(books) < count:
        fair = rng.dirichlet(np.ones(int(rng.choice(n_choices))))
        w = fair ** rng.uniform(0.8, 1.2)
        prices = 1 / (w / w.sum() * (1 + rng.uniform(0.01, 0.10)))
        if prices.min() >= 1.1 and prices.max() <= 15:
            books.append(prices)
    return books


# --- reference values ------------------------------------------------------------------------------


def test_reference_values() -> None:
    assert devig(REF, "multiplicative") == pytest.approx([0.37203, 0.40303, 0.22495], abs=5e-6)
    assert devig(REF, "shin") == pytest.approx([0.37299, 0.40478, 0.22223], abs=5e-6)
    assert shin_z(REF) == pytest.approx(0.01694, abs=5e-6)
    assert devig(REF_2WAY, "additive") == pytest.approx([0.65085, 0.34915], abs=5e-6)
    assert devig(REF_2WAY, "shin") == pytest.approx([0.65085, 0.34915], abs=5e-6)
    assert devig(REF) == devig(REF, "multiplicative")


def test_overround() -> None:
    assert overround(REF) == pytest.approx(0.0338, abs=5e-5)
    assert overround(np.array(REF)) == pytest.approx(1 / 2.6 + 1 / 2.4 + 1 / 4.3 - 1, abs=1e-15)
    assert overround([2.0, 2.0]) == 0.0
    for bad in ([2.0], [2.0, 1.0], [2.0, float("nan")], [[2.0, 2.0]]):
        with pytest.raises(OddsError):
            overround(bad)


def test_every_method_returns_a_distribution_that_sums_to_one() -> None:
    for book in random_books(200, seed=7):
        for method in METHODS:
            p = np.array(devig(book, method))
            assert abs(p.sum() - 1) < 1e-12 and (p > 0).all()


# --- against penaltyblog ---------------------------------------------------------------------------


def test_agrees_with_penaltyblog() -> None:
    """300 random books, every method, our vectorised path against penaltyblog's per-book scipy one.

    penaltyblog 1.13 uses the same parameterisations (read from penaltyblog/implied/implied.py):
    power p = q^k, odds ratio p = q / (c + q - c q), Shin's p_i(z) with root finding for every n
    (so for n = 2 it is an independent check of our closed form), additive q - (S - 1)/n without a
    sign check. Its ridder tolerance (xtol 2e-12 on the parameter) is what limits the agreement, so
    1e-6 has orders of magnitude to spare. It differs only outside these books: for S ≤ 1 it
    extrapolates power/odds-ratio/additive (k < 1, c < 1) and its Shin raises, where we return q/S.
    """
    books = random_books(300, seed=20251122)
    compared = dict.fromkeys(METHODS, 0)
    for n in (2, 3, 4):
        block = np.array([b for b in books if len(b) == n])
        assert len(block) > 20
        for method in METHODS:
            ours = devig_many(block, method, errors="nan")
            for book, p in zip(block, ours, strict=True):
                theirs = calculate_implied(book.tolist(), method=method)
                if method == "additive" and min(theirs.probabilities) <= 0:
                    assert np.isnan(p).all()  # both see the negative long shot; we refuse it
                    continue
                assert p == pytest.approx(theirs.probabilities, abs=1e-6), (method, book)
                if method == "shin":
                    assert shin_z(book) == pytest.approx(theirs.method_params["z"], abs=1e-8)
                compared[method] += 1
    assert all(c >= 290 for c in compared.values()), compared
    # outside the random range: a long shot on a big margin, where penaltyblog returns a negative
    theirs = calculate_implied([1.2, 4.0, 50.0], method="additive").probabilities
    assert min(theirs) < 0
    with pytest.raises(DevigError):
        devig([1.2, 4.0, 50.0], "additive")


# --- devig_many ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 7])
def test_devig_many_equals_row_by_row(n: int) -> None:
    books = random_books(150, seed=n, n_choices=(n,))
    books.append(np.full(n, n * 1.05))  # S < 1: the no-margin rule inside a batch
    block = np.array(books)
    for method in METHODS:
        many = devig_many(block, method, errors="nan")
        for book, row in zip(block, many, strict=True):
            if np.isnan(row).all():
                with pytest.raises(DevigError):
                    devig(book, method)
                continue
            assert row.tolist() == devig(book, method)
        ok = ~np.isnan(many).any(axis=1)
        assert ok.sum() >= len(block) - 5
        assert np.abs(many[ok].sum(axis=1) - 1).max() < 1e-12
        assert (many[ok] > 0).all()


def test_devig_many_nan_rows_leave_the_others_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    good = np.array(random_books(20, seed=3, n_choices=(3,)))
    bad = {
        2: [1.0, 2.0, 3.0],            # price ≤ 1
        5: [np.nan, 2.0, 3.0],         # not finite
        9: [2.0, np.inf, 3.0],
        13: [1.2, 4.0, 50.0],          # additive: the 50.0 long shot goes negative
    }
    block = good.copy()
    for i, row in bad.items():
        block[i] = row
    clean = np.array([i not in bad for i in range(len(block))])
    for method in METHODS:
        out = devig_many(block, method, errors="nan")
        failed = {2, 5, 9, 13} if method == "additive" else {2, 5, 9}
        assert set(np.flatnonzero(np.isnan(out).all(axis=1))) == failed
        assert not np.isnan(out[~np.isin(np.arange(len(block)), list(failed))]).any()
        np.testing.assert_array_equal(out[clean], devig_many(block[clean], method))

    # a solver that runs out of iterations reports the row; it is never returned half-solved
    monkeypatch.setattr(odds_math, "_MAX_ITER", 1)
    for method in ("power", "odds_ratio", "shin"):
        out = devig_many(good, method, errors="nan")
        assert np.isnan(out).all(axis=1).all()
        with pytest.raises(DevigError, match="did not converge") as err:
            devig(good[0], method)
        assert err.value.method == method
    # two-way Shin is the closed form, so it needs no iterations at all
    np.testing.assert_array_equal(devig_many(good[:, :2], "shin"), devig_many(good[:, :2], "additive"))


def test_errors_raise_names_the_first_failing_row() -> None:
    block = np.array([REF, [1.2, 4.0, 50.0], [1.0, 2.0, 3.0]])
    with pytest.raises(DevigError) as err:
        devig_many(block, "additive")
    e = err.value
    assert (e.method, e.prices, e.row) == ("additive", (1.2, 4.0, 50.0), 1)
    assert "probability ≤ 0" in e.reason
    assert all(part in str(e) for part in ("additive", "[1.2, 4.0, 50.0]", e.reason, "row 1"))
    assert isinstance(e, ArithmeticError)
    back = pickle.loads(pickle.dumps(e))
    assert (back.method, back.prices, back.reason, str(back)) == (e.method, e.prices, e.reason, str(e))

    with pytest.raises(OddsError, match=r"row 2"):
        devig_many(block, "multiplicative")  # row 1 is fine for multiplicative; row 2 is not
    with pytest.raises(OddsError):
        devig([1.0, 2.0, 3.0], "power")
    with pytest.raises(DevigError):
        devig([1.2, 4.0, 50.0], "additive")


def test_malformed_input() -> None:
    for bad in ([2.0], [], [[2.0, 2.0]], ["a", "b"]):
        with pytest.raises(OddsError):
            devig(bad)
    for bad in (np.array([2.0, 2.0]), np.ones((3, 1)) * 2, np.ones((2, 2, 2)) * 2):
        with pytest.raises(OddsError):
            devig_many(bad, "power", errors="nan")  # a bad shape is not a bad row
    assert devig_many(np.empty((0, 3)), "shin").shape == (0, 3)
    with pytest.raises(ValueError, match="errors"):
        devig_many(np.array([REF]), "shin", errors="ignore")  # type: ignore[arg-type]


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="known: multiplicative, additive, power, shin, odds_ratio"):
        devig(REF, "logit")
    with pytest.raises(ValueError, match="unknown devig method"):
        devig_many(np.array([REF]), "Shin")


def test_a_result_off_by_more_than_the_tolerance_is_reported_not_renormalised(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def sloppy(q: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return q * (1 - 1e-9), np.zeros(len(s)), np.zeros(len(s), np.int8)  # claims success, sums to S

    monkeypatch.setitem(odds_math._SOLVERS, "power", sloppy)
    with pytest.raises(DevigError, match="did not converge"):
        devig(REF, "power")
    out = devig_many(np.array([REF, [2.1, 3.6, 9.0]]), "power", errors="nan")
    assert np.isnan(out[0]).all() and not np.isnan(out[1]).any()  # S ≤ 1: not the solver's row


def test_root_without_a_sign_change_is_reported() -> None:
    def constant(x: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a.sum(axis=0), np.zeros_like(x)

    x, code = odds_math._root(constant, np.zeros(2), np.ones(2), np.array([[0.5, -0.5]]))
    assert np.isnan(x).all() and (code == odds_math._NO_BRACKET).all()
    assert "sign change" in odds_math._REASONS[odds_math._NO_BRACKET]


# --- S ≤ 1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("book", [[2.1, 2.1], [2.0, 2.0], [2.1, 3.6, 9.0], [1.35, 6.5, 21.0, 60.0]])
def test_no_margin_books_are_normalised_proportionally(book: list[float]) -> None:
    q = 1 / np.array(book)
    assert q.sum() <= 1
    for method in METHODS:
        assert devig(book, method) == pytest.approx((q / q.sum()).tolist(), abs=1e-15), method
    assert shin_z(book) == 0.0
    np.testing.assert_allclose(devig_many(np.array([book, book]), "power"), [q / q.sum()] * 2, atol=1e-15)


def test_a_sliver_of_margin_is_continuous_with_the_rule() -> None:
    """Just above S = 1 every method tends to the proportional answer, so the rule is no cliff."""
    book = np.array([2.1, 3.6, 9.0])
    book = book * (1 / book).sum() / (1 + 1e-9)  # S = 1 + 1e-9
    q = 1 / book
    for method in METHODS:
        assert devig(book.tolist(), method) == pytest.approx((q / q.sum()).tolist(), abs=1e-8)


# --- Shin ------------------------------------------------------------------------------------------


def test_shin_two_way_closed_form_equals_the_root_finder() -> None:
    """The n = 2 path never runs the solver; run it on the same books and compare p and z."""
    rng = np.random.default_rng(11)
    q1 = rng.uniform(0.02, 0.98, 5000)
    q2 = 1 + rng.uniform(1e-4, 0.25, 5000) - q1  # S from 1.0001 to 1.25
    q = np.vstack([q1, q2])[:, q2 < 0.999]  # (n, books): the solvers' layout
    s = q.sum(axis=0)
    assert q.shape[1] > 4000
    p_closed, z_closed, code_closed = odds_math._shin(q, s)
    p_root, z_root, code_root = odds_math._shin_solved(q, s)
    assert (code_closed == 0).all() and (code_root == 0).all()
    np.testing.assert_allclose(p_closed, p_root, rtol=0, atol=1e-12)
    np.testing.assert_allclose(z_closed, z_root, rtol=0, atol=1e-11)
    # and the closed form is Shin's model: q_i²/S = z p_i + (1 - z) p_i² for each outcome
    np.testing.assert_allclose(q**2 / s, z_closed * p_closed + (1 - z_closed) * p_closed**2, atol=1e-14)


def test_shin_z() -> None:
    q1, q2 = 1 / 1.5, 1 / 2.74
    s, d = q1 + q2, q1 - q2
    assert shin_z(REF_2WAY) == pytest.approx((s - 1) * (d * d - s) / (s * (d * d - 1)), rel=1e-14)
    assert 0 < shin_z([1.9, 1.9]) < shin_z([1.8, 1.8]) < 1  # more margin, more insiders


# --- formats ---------------------------------------------------------------------------------------


def test_american_conversions() -> None:
    assert american_to_decimal(150) == 2.5 and american_to_decimal(-200) == 1.5
    assert american_to_decimal(100) == american_to_decimal(-100) == 2.0
    assert isinstance(american_to_decimal(-110), float)
    assert decimal_to_american(2.5) == 150.0 and decimal_to_american(1.5) == -200.0
    assert decimal_to_american(1.0 + 100 / 110) == -110.0
    for a in (-10000.0, -250.0, -110.0, -105.0, 100.0, 120.0, 450.0, 2500.0):
        assert decimal_to_american(american_to_decimal(a)) == a
    am = np.array([-110.0, 150.0, -250.0, 100.0])
    dec = american_to_decimal(am)
    assert isinstance(dec, np.ndarray)
    np.testing.assert_allclose(dec, [1 + 100 / 110, 2.5, 1.4, 2.0])
    np.testing.assert_array_equal(decimal_to_american(dec), am)
    # scalars and arrays agree exactly, rounding included
    decimals = np.array([1.01, 1.3333, 1.91, 1.995, 2.0, 2.005, 3.75, 101.0])
    scalars = [decimal_to_american(float(d)) for d in decimals]
    np.testing.assert_array_equal(decimal_to_american(decimals), scalars)


def test_american_arrays_are_unchecked_for_silver_but_scalars_are_checked() -> None:
    # silver evaluates both branches for every row, so an array with 0 or a decimal price must not raise
    out = american_to_decimal(np.array([0.0, 1.9, np.nan]))
    assert np.isinf(out[0]) and np.isnan(out[2])
    assert np.isinf(decimal_to_american(np.array([1.0]))[0])
    for bad in (0, 50, -99.5, float("nan"), float("inf"), "x"):
        with pytest.raises(OddsError):
            american_to_decimal(bad)  # type: ignore[arg-type]
    for bad in (1.0, 0.5, float("nan")):
        with pytest.raises(OddsError):
            decimal_to_american(bad)


def test_fractional_conversions() -> None:
    assert fractional_to_decimal("5/2") == 3.5
    assert fractional_to_decimal(" 100 / 30 ") == pytest.approx(1 + 10 / 3)
    assert fractional_to_decimal("evens") == fractional_to_decimal("EVS") == 2.0
    assert fractional_to_decimal((5, 2)) == fractional_to_decimal(Fraction(5, 2)) == 3.5
    assert decimal_to_fractional(3.5) == "5/2" and decimal_to_fractional(2.0) == "1/1"
    assert decimal_to_fractional(1.91) == "91/100"
    assert decimal_to_fractional(1.001) == "1/100"  # never "0/1", which would be a price of 1
    for text in ("1/2", "4/6", "8/13", "10/11", "11/10", "6/4", "9/2", "100/1", "1/10"):
        num, den = map(int, text.split("/"))
        back = decimal_to_fractional(fractional_to_decimal(text))
        assert Fraction(back) == Fraction(num, den), text
    bads = ("5-2", "2.5", "", "a/b", "0/1", "5/0", (5, 0), (0, 1), (5, 2, 1), (True, 2), Fraction(-1, 2), 2.5)
    for bad in bads:
        with pytest.raises(OddsError):
            fractional_to_decimal(bad)  # type: ignore[arg-type]
    with pytest.raises(OddsError):
        decimal_to_fractional(1.0)


def test_implied_probability() -> None:
    assert implied_probability(2.5) == 0.4
    np.testing.assert_array_equal(implied_probability(np.array([2.0, 4.0])), [0.5, 0.25])
    for bad in (1.0, float("nan"), np.array([2.0, 0.9]), np.array([np.inf])):
        with pytest.raises(OddsError):
            implied_probability(bad)


def test_devig_groups_devigs_only_complete_markets_row_by_row() -> None:
    from linelogic_assets.odds_math import devig_groups

    # group 0: a 3-way book (rows out of order); 1: a 2-way book; 2: one outcome missing;
    # 3: an outcome quoted twice; 4: an outcome beyond the market's width; 5: width 1 (never)
    group = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5])
    pos = np.array([2, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 2, 0])
    price = np.array([4.3, 2.6, 2.4, 2.74, 1.5, 1.9, 1.9, 1.9, 2.0, 1.9, 1.9, 9.0, 1.5])
    width = np.array([3, 2, 2, 2, 2, 1])
    fair, over = devig_groups(group, pos, price, width, "shin")
    assert fair[[1, 2, 0]] == pytest.approx(devig([2.6, 2.4, 4.3], "shin"), abs=1e-15)
    assert fair[[4, 3]] == pytest.approx(devig([1.5, 2.74], "shin"), abs=1e-15)
    assert over[0] == pytest.approx(overround([2.6, 2.4, 4.3])) and over[3] == pytest.approx(overround([1.5, 2.74]))
    assert np.isnan(fair[5:]).all() and np.isnan(over[5:]).all()
