"""Rogers-Veraart clearing with default costs."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.errors import InputError
from glassledger.risk.contagion.eisenberg_noe import eisenberg_noe
from glassledger.risk.contagion.rogers_veraart import rogers_veraart

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXAMPLE = json.loads((FIXTURES / "systemicrisk_default_clearing.json").read_text())


def test_published_example_systemicrisk_default_clearing():
    # R package systemicrisk (Gandy & Veraart), ?default_clearing with alpha = 0.5,
    # beta = 0.7, "Example output": defaultind 1 1 1,
    # clearingvec 0.5020200 0.5147049 0.5653806 (7 significant digits).
    expected = EXAMPLE["rogers_veraart"]
    result = rogers_veraart(
        np.array(EXAMPLE["liabilities_borrowers_as_rows"]),
        EXAMPLE["external_assets"],
        EXAMPLE["external_liabilities"],
        alpha=expected["alpha"],
        beta=expected["beta"],
    )
    np.testing.assert_allclose(result.payments, expected["clearing_vector"], atol=5e-8)
    assert result.defaulted.astype(int).tolist() == expected["defaulted"]
    # Without costs bank 3 survives (the Eisenberg-Noe output above); the costs topple it.
    assert result.default_wave.tolist() == [1, 2, 2]


def test_default_costs_by_hand():
    # A owes B 10 and has 8 of cash: it defaults and, realising only alpha = 0.5 of its cash,
    # pays 4 (Rogers & Veraart 2013, eq. for the defaulting bank's payment).
    result = rogers_veraart(np.array([[0, 10.0], [0, 0]]), [8.0, 0.0], alpha=0.5, beta=1.0)
    np.testing.assert_allclose(result.payments, [4.0, 0.0])


def test_parameters_outside_the_unit_interval_are_rejected():
    with pytest.raises(InputError, match="alpha and beta"):
        rogers_veraart(np.zeros((2, 2)), [1, 1], alpha=1.2, beta=1.0)


@st.composite
def systems(draw, max_size=6):
    n = draw(st.integers(2, max_size))
    liabilities = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j and draw(st.booleans()):
                liabilities[i, j] = draw(st.integers(1, 40))
    cash = np.array(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)), dtype=float)
    return liabilities, cash


@given(systems())
def test_without_default_costs_equals_eisenberg_noe(system):
    # Rogers & Veraart (2013): alpha = beta = 1 is the Eisenberg-Noe model.
    liabilities, cash = system
    en = eisenberg_noe(liabilities, cash)
    rv = rogers_veraart(liabilities, cash, alpha=1.0, beta=1.0)
    np.testing.assert_allclose(rv.payments, en.payments, atol=1e-9)
    np.testing.assert_array_equal(rv.default_wave, en.default_wave)


@given(systems(), st.floats(0, 1), st.floats(0, 1))
def test_default_costs_never_save_anybody(system, alpha, beta):
    # The clearing map with costs lies below Eisenberg-Noe's, so does its greatest fixed point.
    liabilities, cash = system
    en = eisenberg_noe(liabilities, cash)
    rv = rogers_veraart(liabilities, cash, alpha=alpha, beta=beta)
    assert np.all(rv.payments <= en.payments + 1e-9)
    assert np.all(rv.defaulted >= en.defaulted)
    assert np.all((rv.payments >= 0) & (rv.payments <= rv.obligations))
