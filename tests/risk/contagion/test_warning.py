"""The default-risk coefficient dr_j and the early warning it triggers (seed 003)."""

from pathlib import Path

import numpy as np
import pytest

from glassledger.errors import InputError
from glassledger.risk.contagion.network import ExposureNetwork
from glassledger.risk.contagion.warning import default_risk_coefficients, early_warning

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def figure7() -> ExposureNetwork:
    return ExposureNetwork.read_edges(
        FIXTURES / "seed003_figure7_edges.csv", FIXTURES / "seed003_figure7_capital.csv"
    )


def test_dr_is_total_exposure_over_capital(figure7):
    # Seed 003: dr_j = j's risk exposure / j's capital. C is exposed 100 to A on capital 50.
    dr = default_risk_coefficients(figure7)
    assert dr["C"] == pytest.approx(2.0)
    assert dr["B"] == pytest.approx((20 + 80) / 30)
    assert default_risk_coefficients(figure7, loss_weighted=True)["C"] == pytest.approx(1.2)


def test_flagged_institutions_start_the_cascade_and_everybody_in_it_is_warned(figure7):
    # dr: A 2.0, B 3.33, C 2.0, D 2.4, E 0.75, F 1.11, G 2.5: only B is above 3.0.
    warning = early_warning(figure7, alert_threshold=3.0)
    assert warning.flagged == ["B"]
    # B's default costs A 20 > 10 and D 30 > 25 (round 1); A's topples C (round 2), C's F
    # (round 3), F's G (round 4); E loses exactly its capital and is not warned.
    assert warning.warned == ["B", "A", "D", "C", "F", "G"]
    table = warning.table()
    assert table.loc[table.institution == "B", "reason"].item() == "dr above threshold"
    assert table.loc[table.institution == "D", "round"].item() == 1
    notice = warning.notices()[0]
    assert notice["visible_to"] == ("regulator", "B")


def test_exposure_exactly_at_the_threshold_is_not_flagged(figure7):
    # "超过警戒值": strictly above. C's dr is exactly 2.0.
    assert "C" not in early_warning(figure7, alert_threshold=2.0).flagged


def test_zero_capital():
    network = ExposureNetwork.from_matrix(np.array([[0, 1.0], [0, 0]]), [0.0, 0.0], names="XY")
    dr = default_risk_coefficients(network)
    assert dr["X"] == np.inf and dr["Y"] == 0.0
    with pytest.raises(InputError, match="alert threshold"):
        early_warning(network, alert_threshold=-1.0)
