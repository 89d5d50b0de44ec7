"""DebtRank (Battiston et al. 2012) and differential DebtRank (Bardoscia et al. 2015)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.contagion.debtrank import debtrank
from glassledger.risk.contagion.network import ExposureNetwork


def _two_bank_cycle() -> ExposureNetwork:
    # Each bank lends the other 5 on capital 10: W = Lambda = 0.5 both ways.
    return ExposureNetwork.from_matrix(np.array([[0, 5.0], [5.0, 0]]), [10.0, 10.0], names="AB")


def test_chain_both_versions_agree_with_the_product_of_impacts():
    # B lends A 5 on capital 10 (W_BA = 0.5), C lends B 4 on capital 8 (W_CB = 0.5): on a
    # chain each node is hit once, so both versions give h_B = 0.5, h_C = 0.25 for A's
    # default (Battiston et al. 2012, Methods, eq. for h_i(t)).
    network = ExposureNetwork.from_matrix(
        np.array([[0, 0, 0], [5.0, 0, 0], [0, 4.0, 0]]), [10.0, 10.0, 8.0], names="ABC"
    )
    for method in ("battiston", "differential"):
        result = debtrank(network, {"A": 1.0}, method=method)
        np.testing.assert_allclose(result.final, [1.0, 0.5, 0.25])
        # R = sum v h(T) - sum v h(1), v = capital shares 10/28, 10/28, 8/28.
        assert result.debtrank == pytest.approx((10 * 0.5 + 8 * 0.25) / 28)


def test_battiston_propagates_each_node_once_on_a_cycle():
    # A shocked by 0.2: t=2 h_B = 0.5 * 0.2; t=3 A (inactive) absorbs 0.5 * 0.1 but does not
    # pass it on: final (0.25, 0.1). The reverberation stops (Battiston et al. 2012, Methods).
    result = debtrank(_two_bank_cycle(), {"A": 0.2}, method="battiston")
    np.testing.assert_allclose(result.final, [0.25, 0.1])
    assert result.iterations == 2


def test_differential_reaches_the_linear_fixed_point_on_a_cycle():
    # Bardoscia et al. (2015): for stable dynamics without saturation the asymptotic state is
    # h(inf) = (I - Lambda)^-1 h(1); here 1/(1 - 0.25) * [[1, .5], [.5, 1]] @ [0.2, 0] =
    # (0.2667, 0.1333), above Battiston's (0.25, 0.1): the underestimation the paper removes.
    result = debtrank(_two_bank_cycle(), {"A": 0.2}, method="differential", tolerance=1e-14)
    np.testing.assert_allclose(result.final, [0.2 / 0.75, 0.1 / 0.75], rtol=1e-12)
    assert result.converged


def test_differential_saturates_at_default():
    # Lambda = 2 both ways: an unstable cycle, both banks end at h = 1 (default).
    network = ExposureNetwork.from_matrix(np.array([[0, 20.0], [20.0, 0]]), [10.0, 10.0])
    result = debtrank(network, np.array([0.1, 0.0]), method="differential")
    np.testing.assert_array_equal(result.final, [1.0, 1.0])
    assert result.defaults == [0, 1]


def test_zero_capital_creditor_is_wiped_out_by_any_loss_in_the_differential_version():
    network = ExposureNetwork.from_matrix(np.array([[0, 1.0], [0, 0]]), [0.0, 10.0])
    result = debtrank(network, {1: 0.01}, method="differential")
    assert result.final[0] == 1.0


def test_bad_shocks_and_methods_are_rejected():
    network = _two_bank_cycle()
    with pytest.raises(InputError, match=r"must be in \[0, 1\]") as error:
        debtrank(network, {"B": 1.5})
    assert error.value.row == "B"
    with pytest.raises(InputError, match="unknown DebtRank method"):
        debtrank(network, {"A": 1.0}, method="pagerank")


@st.composite
def leveraged_networks(draw, max_size=6):
    n = draw(st.integers(2, max_size))
    ead = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and draw(st.booleans()):
                ead[i, j] = draw(st.integers(1, 30))
    capital = np.array(draw(st.lists(st.integers(1, 60), min_size=n, max_size=n)), dtype=float)
    shock = np.array(draw(st.lists(st.sampled_from([0, 0.25, 0.5, 1]), min_size=n, max_size=n)))
    return ExposureNetwork.from_matrix(ead, capital), shock


@given(leveraged_networks())
def test_differential_never_below_battiston_and_both_within_bounds(data):
    network, shock = data
    original = debtrank(network, shock, method="battiston")
    differential = debtrank(network, shock, method="differential")
    for result in (original, differential):
        assert np.all((result.final >= shock) & (result.final <= 1.0))
    assert np.all(differential.final >= original.final - 1e-9)


@given(leveraged_networks(), st.integers(0, 30))
def test_more_capital_never_increases_distress(data, extra):
    network, shock = data
    richer = network.with_capital(network.capital + extra)
    for method in ("battiston", "differential"):
        assert np.all(
            debtrank(richer, shock, method=method).final
            <= debtrank(network, shock, method=method).final + 1e-9
        )


@given(leveraged_networks(), st.randoms(use_true_random=False))
def test_relabelling_permutes_distress(data, random):
    network, shock = data
    order = list(range(network.size))
    random.shuffle(order)
    permuted = ExposureNetwork.from_matrix(
        network.ead.toarray()[np.ix_(order, order)], network.capital[order]
    )
    for method in ("battiston", "differential"):
        base = debtrank(network, shock, method=method)
        moved = debtrank(permuted, shock[order], method=method)
        np.testing.assert_allclose(moved.final, base.final[order], atol=1e-12)
        assert moved.debtrank == pytest.approx(base.debtrank, abs=1e-12)
