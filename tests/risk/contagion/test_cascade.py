"""The seed's cascade D_k(A): the figure-7 example of seed 003 and the cascade's invariants."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.contagion.cascade import cascade
from glassledger.risk.contagion.network import ExposureNetwork

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def figure7() -> ExposureNetwork:
    """Seed 003, figure 7, encoded from the text (amounts ours: see fixtures/README.md)."""
    return ExposureNetwork.read_edges(
        FIXTURES / "seed003_figure7_edges.csv", FIXTURES / "seed003_figure7_capital.csv"
    )


def test_figure7_sequence_follows_the_seed_text(figure7):
    # Seed 003: "C的违约可能会导致机构B和F违约,进而导致机构D、G违约" after A's default topples C.
    result = cascade(figure7, ["A"])
    assert result.defaults_by_round() == {0: ["A"], 1: ["C"], 2: ["B", "F"], 3: ["D", "G"]}
    assert result.rounds == 3
    assert "E" not in result.defaulted


def test_figure7_capital_update_per_round(figure7):
    # C_j^k = C_j - sum_{i in D_{<k}} EAD_ji * LGD_ji (the seed's capital update, issue 5).
    table = cascade(figure7, ["A"]).losses_by_round().set_index(["round", "institution"])
    assert table.loc[(1, "C"), "loss"] == pytest.approx(60.0)  # 100 x 0.6 from A
    assert table.loc[(1, "B"), "remaining_capital"] == pytest.approx(20.0)  # survives round 1
    assert not table.loc[(1, "B"), "defaulted"]
    assert table.loc[(2, "B"), "cumulative_loss"] == pytest.approx(50.0)  # 10 + 40: falls
    assert table.loc[(2, "B"), "defaulted"]
    # E loses exactly its capital (10 from D, 30 from G): zero remaining capital survives.
    assert table.loc[(4, "E"), "remaining_capital"] == 0.0
    assert not table.loc[(4, "E"), "defaulted"]


def test_figure7_attribution_and_total(figure7):
    result = cascade(figure7, ["A"])
    attribution = result.attribution()
    assert attribution["loss"].sum() == pytest.approx(result.total_loss) == pytest.approx(280.0)
    row = attribution[(attribution.creditor == "F") & (attribution.debtor == "C")]
    assert row[["round", "loss"]].to_numpy().tolist() == [[2, 50.0]]
    # G's claim on E is not a loss: E survives.
    assert not (attribution.debtor == "E").any()
    summary = result.summary()
    assert summary["new_defaults"].tolist() == [1, 1, 2, 2, 0]
    assert summary["loss"].sum() == pytest.approx(280.0)
    assert result.final_losses()["E"] == pytest.approx(40.0)


def test_capital_floor_makes_defaults_earlier(figure7):
    # With a floor of 50% of initial capital B still survives round 1 (remaining 20 is not
    # below 15), but E now falls: it loses all 40 of its capital, more than half.
    strict = cascade(figure7, ["A"])
    floored = cascade(figure7, ["A"], capital_floor=0.5)
    assert set(strict.defaulted) <= set(floored.defaulted)
    assert "E" in floored.defaulted


def test_zero_capital_institution_defaults_on_any_loss_only():
    network = ExposureNetwork.from_matrix(
        np.array([[0, 1.0, 0], [0, 0, 0], [0, 0, 0]]), [0.0, 5.0, 0.0], names=list("XYZ")
    )
    assert cascade(network, ["Y"]).defaulted == ["Y", "X"]
    assert cascade(network, ["X"]).defaulted == ["X"]  # Z has zero capital, no loss: survives


def test_unknown_initial_default_is_rejected(figure7):
    with pytest.raises(InputError, match="unknown institution"):
        cascade(figure7, ["Z"])
    with pytest.raises(InputError, match="capital_floor"):
        cascade(figure7, ["A"], capital_floor=1.0)


# ----------------------------------------------------------------------- properties
@st.composite
def networks(draw, max_size=7):
    """Random integer-valued networks (exact float sums) with one initial default."""
    n = draw(st.integers(2, max_size))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    ead = np.zeros((n, n))
    for i, j in chosen:
        ead[i, j] = draw(st.integers(1, 50))
    capital = np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), dtype=float)
    initial = draw(st.integers(0, n - 1))
    return ead, capital, initial


@given(networks(), st.lists(st.integers(0, 30), min_size=7, max_size=7))
def test_more_capital_never_adds_defaults(data, extra):
    ead, capital, initial = data
    base = cascade(ExposureNetwork.from_matrix(ead, capital), [initial])
    richer = cascade(ExposureNetwork.from_matrix(ead, capital + extra[: len(capital)]), [initial])
    assert set(richer.defaulted) <= set(base.defaulted)


@given(networks(), st.data())
def test_removing_an_exposure_never_adds_defaults(data, draw):
    ead, capital, initial = data
    present = np.argwhere(ead > 0)
    if present.size == 0:
        return
    i, j = present[draw.draw(st.integers(0, len(present) - 1))]
    network = ExposureNetwork.from_matrix(ead, capital)
    fewer = network.with_exposures(remove=[(int(i), int(j))])
    assert set(cascade(fewer, [initial]).defaulted) <= set(cascade(network, [initial]).defaulted)


@given(networks(), st.randoms(use_true_random=False))
def test_relabelling_institutions_changes_nothing(data, random):
    ead, capital, initial = data
    n = len(capital)
    names = [f"bank{k}" for k in range(n)]
    order = list(range(n))
    random.shuffle(order)
    base = cascade(ExposureNetwork.from_matrix(ead, capital, names=names), [names[initial]])
    permuted = ExposureNetwork.from_matrix(
        ead[np.ix_(order, order)], capital[order], names=[names[k] for k in order]
    )
    shuffled = cascade(permuted, [names[initial]])
    rounds = {names[k]: r for k, r in enumerate(base.default_round)}
    assert {name: rounds[name] for name in permuted.names} == dict(
        zip(permuted.names, shuffled.default_round, strict=True)
    )
    assert shuffled.total_loss == base.total_loss
