"""Systemic importance, what-if and reverse stress on the seed's cascade."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.contagion.cascade import cascade
from glassledger.risk.contagion.network import ExposureNetwork
from glassledger.risk.contagion.ranking import reverse_stress, systemic_importance, what_if

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def figure7() -> ExposureNetwork:
    return ExposureNetwork.read_edges(
        FIXTURES / "seed003_figure7_edges.csv", FIXTURES / "seed003_figure7_capital.csv"
    )


def test_systemic_importance_of_figure7(figure7):
    ranking = systemic_importance(figure7)
    # A's default is the seed's full cascade: 280 of losses, 5 further defaults (E survives).
    # B's and C's defaults reach A as well (A is exposed 20 to B on capital 10), so they tie.
    assert ranking.loc[["A", "B", "C"], "loss_caused"].tolist() == [280.0] * 3
    assert ranking.loc[["A", "B", "C"], "further_defaults"].tolist() == [5] * 3
    assert sorted(ranking.loc[["A", "B", "C"], "rank"]) == [1, 2, 3]
    # E's default topples nobody: its only creditor G loses 10 of 20.
    assert ranking.loc["E", ["loss_caused", "further_defaults"]].tolist() == [10, 0]
    assert systemic_importance(figure7, with_rounds=True).loc["A", "rounds"] == 3


@st.composite
def networks(draw, max_size=7):
    n = draw(st.integers(2, max_size))
    ead = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and draw(st.booleans()):
                ead[i, j] = draw(st.integers(1, 40))
    capital = np.array(draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)), dtype=float)
    return ExposureNetwork.from_matrix(ead, capital)


@given(networks())
def test_batch_ranking_equals_one_cascade_per_institution(network):
    exact = systemic_importance(network, with_rounds=True)
    fast = systemic_importance(network)
    for name in network.names:
        single = cascade(network, [name])
        for ranking in (exact, fast):
            assert ranking.loc[name, "loss_caused"] == pytest.approx(single.total_loss)
            assert ranking.loc[name, "further_defaults"] == single.defaulted_count - 1
        assert exact.loc[name, "rounds"] == single.rounds


def test_reused_final_sets_on_a_fragile_network():
    # Thin capital: most single defaults topple most of the system, so the shortcut through
    # known final sets is taken; the result must equal one full cascade per institution.
    rng = np.random.default_rng(5)
    n = 150
    ead = np.where(rng.random((n, n)) < 0.05, rng.integers(1, 20, (n, n)), 0).astype(float)
    np.fill_diagonal(ead, 0.0)
    network = ExposureNetwork.from_matrix(ead, ead.sum(axis=1) * rng.uniform(0.02, 0.3, n))
    fast = systemic_importance(network)
    exact = systemic_importance(network, with_rounds=True)
    assert (exact["further_defaults"] > n // 2).sum() > n // 2
    pd.testing.assert_frame_equal(fast, exact.drop(columns="rounds"))


def test_what_if_removing_the_exposure_that_spreads_the_cascade(figure7):
    change = what_if(figure7, ["A"], remove=[("C", "A")])
    assert change.after.defaulted == ["A"]
    assert change.no_longer_defaulted == ["B", "C", "D", "F", "G"]
    assert change.loss_change == pytest.approx(10.0 - 280.0)  # only B's claim on A is lost
    recapitalised = what_if(figure7, ["A"], capital={"C": 60.0})
    assert recapitalised.after.defaulted == ["A"]
    added = what_if(figure7, ["A"], add=[("E", "A", 1.0, 1.0)])
    assert added.newly_defaulted == ["E"]
    # E's new loss of 1 on A tips it over; its default then costs G its claim of 10.
    assert added.loss_change == pytest.approx(1.0 + 10.0)


def test_reverse_stress_finds_the_smallest_uniform_shock(figure7):
    # Without an initial default, a uniform shock s topples the weakest capital first: A (10).
    # Taking s just above 10 defaults A, whose cascade then causes losses of 280 (as above,
    # plus E, whose capital the shock has eaten, and so on).
    result = reverse_stress(figure7, target_loss=100.0)
    assert result.shock == pytest.approx(10.0, abs=1e-6)
    assert result.shock > 10.0
    assert result.loss >= 100.0
    assert "A" in result.result.defaults_by_round()[0]
    already = reverse_stress(figure7, target_loss=200.0, initial_defaults=["A"])
    assert already.shock == 0.0 and already.loss == pytest.approx(280.0)
    with pytest.raises(InputError, match="target loss exceeds"):
        reverse_stress(figure7, target_loss=1e9)


def _loss_after_shock(network: ExposureNetwork, shock: float) -> float:
    """Independent reading of a uniform shock: capital - shock, exhausted ones default."""
    remaining = network.capital - shock
    exhausted = [name for name, left in zip(network.names, remaining, strict=True) if left < 0]
    shocked = network.with_capital(np.maximum(remaining, 0.0))
    return cascade(shocked, exhausted).total_loss


@given(networks(), st.floats(0, 1))
def test_reverse_stress_shock_is_minimal(network, fraction):
    target = fraction * float(network.loss_matrix.sum())
    result = reverse_stress(network, target)
    assert result.loss >= target
    assert _loss_after_shock(network, result.shock) == pytest.approx(result.loss)
    if result.shock > 0:
        assert _loss_after_shock(network, result.shock - 1e-6) < target
