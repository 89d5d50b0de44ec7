"""Eisenberg-Noe clearing by the fictitious default algorithm."""

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.contagion.eisenberg_noe import eisenberg_noe, liabilities_of
from glassledger.risk.contagion.network import ExposureNetwork

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXAMPLE = json.loads((FIXTURES / "systemicrisk_default_clearing.json").read_text())


def test_published_example_systemicrisk_default_clearing():
    # R package systemicrisk (Gandy & Veraart), ?default_clearing, "Example output":
    # defaultind 1 1 0, clearingvec 1.473214 1.419643 1.500000 (printed to 6 decimals).
    result = eisenberg_noe(
        sp.csr_array(np.array(EXAMPLE["liabilities_borrowers_as_rows"])),
        EXAMPLE["external_assets"],
        EXAMPLE["external_liabilities"],
    )
    expected = EXAMPLE["eisenberg_noe"]
    np.testing.assert_allclose(result.payments, expected["clearing_vector"], atol=5e-7)
    assert result.defaulted.astype(int).tolist() == expected["defaulted"]
    # Fictitious default algorithm: bank 1 is short with full payments (wave 1), bank 2 only
    # once bank 1 pays less (wave 2): the order of defaults.
    assert result.order_of_defaults() == {1: [0], 2: [1]}


def test_greatest_clearing_vector_in_a_closed_cycle_without_cash():
    # Eisenberg & Noe (2001), section 2: with no operating cash flow a closed cycle has many
    # clearing vectors (any p1 = p2); the algorithm returns the greatest, full payment.
    result = eisenberg_noe(np.array([[0, 10.0], [10.0, 0]]), [0.0, 0.0])
    np.testing.assert_array_equal(result.payments, [10.0, 10.0])
    assert not result.defaulted.any()


def test_chain_of_defaults_by_hand():
    # A owes B 10, B owes C 10; A has 4 of cash, B has 3: A pays 4, B pays 4 + 3 = 7.
    result = eisenberg_noe(
        np.array([[0, 10.0, 0], [0, 0, 10.0], [0, 0, 0]]), [4.0, 3.0, 0.0], names="ABC"
    )
    np.testing.assert_allclose(result.payments, [4.0, 7.0, 0.0])
    assert result.order_of_defaults() == {1: ["A"], 2: ["B"]}
    table = result.table()
    assert table.loc["B", "recovery_rate"] == pytest.approx(0.7)
    assert table.loc["C", "equity"] == pytest.approx(7.0)
    assert result.total_shortfall == pytest.approx(9.0)


def test_network_exposures_become_liabilities():
    # B is exposed to A (lender B as row) <=> A owes B (borrower A as row).
    network = ExposureNetwork.from_matrix(np.array([[0, 0], [5.0, 0]]), [1, 1], names="AB")
    assert liabilities_of(network).toarray().tolist() == [[0, 5.0], [0, 0]]


def test_bad_inputs_are_rejected():
    with pytest.raises(InputError, match="liabilities must be >= 0"):
        eisenberg_noe(np.array([[0, -1.0], [0, 0]]), [1, 1])
    with pytest.raises(InputError, match="self-liability"):
        eisenberg_noe(np.array([[1.0, 0], [0, 0]]), [1, 1])
    with pytest.raises(InputError, match="external_assets") as error:
        eisenberg_noe(np.array([[0, 1.0], [0, 0]]), [1, np.nan], names="XY")
    assert error.value.row == "Y"


@st.composite
def systems(draw, max_size=6):
    n = draw(st.integers(2, max_size))
    liabilities = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and draw(st.booleans()):
                liabilities[i, j] = draw(st.integers(1, 40))
    cash = np.array(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)), dtype=float)
    outside = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), dtype=float)
    return liabilities, cash, outside


@given(systems())
def test_payments_are_a_clearing_vector_within_obligations(system):
    liabilities, cash, outside = system
    result = eisenberg_noe(liabilities, cash, outside)
    pbar = result.obligations
    assert np.all(result.payments >= 0) and np.all(result.payments <= pbar)
    # Fixed point: p = min(pbar, e + Pi^T p) (Eisenberg & Noe 2001, definition 1).
    share = np.divide(
        liabilities, pbar[:, None], out=np.zeros_like(liabilities), where=pbar[:, None] > 0
    )
    np.testing.assert_allclose(
        result.payments, np.minimum(pbar, cash + share.T @ result.payments), atol=1e-9
    )


@given(systems())
def test_agrees_with_picard_iteration_from_full_payment(system):
    # Iterating the clearing map down from pbar converges to the greatest clearing vector
    # (Eisenberg & Noe 2001, theorem 2), an independent computation of the same object.
    liabilities, cash, outside = system
    result = eisenberg_noe(liabilities, cash, outside)
    pbar = result.obligations
    share = np.divide(
        liabilities, pbar[:, None], out=np.zeros_like(liabilities), where=pbar[:, None] > 0
    )
    p = pbar.copy()
    for _ in range(100_000):
        p, previous = np.minimum(pbar, cash + share.T @ p), p
        if np.abs(p - previous).max() < 1e-12:
            break
    np.testing.assert_allclose(result.payments, p, atol=1e-6)


@given(systems(), st.randoms(use_true_random=False))
def test_relabelling_permutes_the_clearing_vector(system, random):
    liabilities, cash, outside = system
    order = list(range(len(cash)))
    random.shuffle(order)
    base = eisenberg_noe(liabilities, cash, outside)
    permuted = eisenberg_noe(liabilities[np.ix_(order, order)], cash[order], outside[order])
    np.testing.assert_allclose(permuted.payments, base.payments[order], atol=1e-9)
    np.testing.assert_array_equal(permuted.default_wave, base.default_wave[order])


def test_large_default_set_uses_the_iterative_solver_and_still_clears():
    # Over 400 defaulted institutions the wave's system is solved by BiCGSTAB: the result must
    # still be the greatest fixed point (checked against Picard iteration from full payment).
    rng = np.random.default_rng(3)
    n, m = 900, 9_000
    rows, cols = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = rows != cols
    liabilities = sp.csr_array((rng.uniform(1, 10, keep.sum()), (rows[keep], cols[keep])), (n, n))
    cash = rng.uniform(0, 20, n)
    result = eisenberg_noe(liabilities, cash)
    assert result.defaulted.sum() > 400
    share = sp.diags_array(1 / result.obligations) @ liabilities
    p = result.obligations.copy()
    for _ in range(100_000):
        p, previous = np.minimum(result.obligations, cash + share.T @ p), p
        if np.abs(p - previous).max() < 1e-12:
            break
    np.testing.assert_allclose(result.payments, p, rtol=1e-9, atol=1e-9)
