"""On-ledger reserve rules: SEC Rule 2a-7 (2010, 2014, 2023) and MiCA, in integers.

Limits checked against the rule texts cited in the module docstring (17 CFR 270.2a-7 as
amended by Releases IC-29132 (2010), IC-31166 (2014), IC-34959 (2023); MiCA art. 36)."""

import ast
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import glassledger.contracts.reserve_rules as rr
from glassledger.contracts.reserve_rules import (
    DEPOSIT,
    GOVERNMENT,
    Holding,
    MiCAReserve,
    MiCASignificantReserve,
    Rule2a7v2010,
    Rule2a7v2014,
    Rule2a7v2023,
    check_capital_buffer,
    check_investment,
    check_portfolio,
    violations,
    wal_days,
    wam_days,
)
from glassledger.errors import ContractError

TODAY = 1_000


def gov(value, days, issuer="UST", currency="USD", reset=None):
    return Holding(
        currency,
        issuer,
        GOVERNMENT,
        value,
        value,
        TODAY + (reset or days),
        TODAY + days,
        True,
        True,
    )


def cp(value, days, issuer="ACME", currency="USD", reset=None):
    return Holding(
        currency, issuer, "commercial_paper", value, value, TODAY + (reset or days), TODAY + days
    )


def deposit(value, days=1, issuer="BANK", currency="USD"):
    return Holding(currency, issuer, DEPOSIT, value, value, TODAY + days, TODAY + days, True, True)


def compliant_2023():
    # 60% daily liquid government paper, 20 issuers of 2% commercial paper at 90 days.
    return [gov(600, 30)] + [cp(20, 90, issuer=f"I{i}") for i in range(20)]


def test_versions_override_only_what_changed():
    assert Rule2a7v2023.max_wam_days == Rule2a7v2010.max_wam_days == 60
    assert Rule2a7v2023.max_wal_days == 120
    assert (Rule2a7v2010.min_daily_liquid_bps, Rule2a7v2010.min_weekly_liquid_bps) == (1000, 3000)
    assert (Rule2a7v2023.min_daily_liquid_bps, Rule2a7v2023.min_weekly_liquid_bps) == (2500, 5000)
    assert "min_daily_liquid_bps" not in Rule2a7v2014.__dict__
    assert issubclass(Rule2a7v2023, Rule2a7v2014) and issubclass(Rule2a7v2014, Rule2a7v2010)


def test_wam_breach_is_rejected_with_rule_and_figures():
    holdings = [gov(500, 1), cp(500, 145, issuer="ACME")]  # WAM = (500 + 72_500) / 1000 = 73
    with pytest.raises(
        ContractError, match=r"WAM 73 days exceeds the 60-day limit of Rule 2a-7 \(2023\)"
    ):
        check_portfolio(holdings, TODAY, Rule2a7v2023(max_issuer_bps=10_000))


def test_wal_uses_final_maturity_and_wam_the_reset_date():
    floater = cp(1000, 300, reset=7)
    assert wam_days([floater], TODAY) == 7
    assert wal_days([floater], TODAY) == 300
    found = {v.rule for v in violations([floater], TODAY, Rule2a7v2010(max_issuer_bps=10_000))}
    assert "WAL" in found and "WAM" not in found


def test_2010_portfolio_fails_2023_liquidity_minimums():
    holdings = [gov(150, 1), gov(200, 30)] + [cp(50, 40, issuer=f"I{i}") for i in range(13)]
    check_portfolio(holdings, TODAY, Rule2a7v2010())
    with pytest.raises(ContractError) as error:
        check_portfolio(holdings, TODAY, Rule2a7v2023())
    assert "weekly liquid assets 35% are below the 50% minimum" in str(error.value)


def test_issuer_limit_exempts_government_paper():
    check_portfolio(compliant_2023(), TODAY, Rule2a7v2023())
    heavy = [gov(600, 30), cp(100, 30, issuer="ACME"), cp(300, 30, issuer="BIG")]
    with pytest.raises(
        ContractError, match="issuer 'BIG' is 30% of the reserve, above the 5% limit"
    ):
        check_portfolio(heavy, TODAY, Rule2a7v2023())


def test_ineligible_kind_and_maximum_maturity():
    equity = Holding("USD", "X", "equity", 10, 10, TODAY + 1, TODAY + 1, True, True)
    messages = " ".join(
        v.message for v in violations([*compliant_2023(), equity], TODAY, Rule2a7v2023())
    )
    assert "'equity' is not eligible" in messages
    long_bond = gov(10, 400)
    assert any(
        v.rule == "maximum maturity"
        for v in violations([*compliant_2023(), long_bond], TODAY, Rule2a7v2023())
    )


def test_investment_check_rejects_a_breaking_purchase():
    with pytest.raises(ContractError, match="WAL"):
        check_investment(compliant_2023(), gov(2000, 397), TODAY, Rule2a7v2023())


def test_malformed_holdings_are_named():
    bad = Holding("USD", "X", GOVERNMENT, 10, 10, TODAY + 5, TODAY + 3)
    with pytest.raises(ContractError, match="holding 0: days must satisfy"):
        check_portfolio([bad], TODAY, Rule2a7v2023())
    with pytest.raises(ContractError, match="integers"):
        check_portfolio(
            [Holding("USD", "X", GOVERNMENT, 10, 10.0, TODAY + 1, TODAY + 1)], TODAY, Rule2a7v2023()
        )
    with pytest.raises(ContractError, match="empty"):
        check_portfolio([], TODAY, Rule2a7v2023())


def test_limits_are_parameters():
    assert Rule2a7v2023(max_wam_days=45).max_wam_days == 45
    assert Rule2a7v2023.max_wam_days == 60
    with pytest.raises(ContractError, match="unknown"):
        Rule2a7v2023(max_wham=1)
    with pytest.raises(ContractError, match="integer"):
        Rule2a7v2023(max_wam_days=45.5)


def test_2014_fees_and_gates_follow_weekly_liquidity():
    rules = Rule2a7v2014()
    terms = rules.redemption_terms(
        weekly_liquid_bps=3_500, net_redemptions_bps=0, institutional=True
    )
    assert (terms.fee_bps, terms.gate_permitted) == (0, False)
    terms = rules.redemption_terms(
        weekly_liquid_bps=2_000, net_redemptions_bps=0, institutional=True
    )
    assert (terms.fee_bps, terms.max_fee_bps, terms.gate_permitted) == (0, 200, True)
    terms = rules.redemption_terms(
        weekly_liquid_bps=900, net_redemptions_bps=0, institutional=False
    )
    assert (terms.fee_bps, terms.gate_permitted) == (100, True)
    gov_fund = rules.redemption_terms(
        weekly_liquid_bps=900, net_redemptions_bps=0, institutional=False, government_fund=True
    )
    assert gov_fund.gate_permitted is False and gov_fund.fee_bps == 0


def test_2023_removes_gates_and_makes_fees_mandatory_on_large_outflows():
    rules = Rule2a7v2023()
    low_liquidity = rules.redemption_terms(
        weekly_liquid_bps=900, net_redemptions_bps=0, institutional=True
    )
    assert low_liquidity.gate_permitted is False and low_liquidity.fee_bps == 0
    outflow = rules.redemption_terms(
        weekly_liquid_bps=6_000, net_redemptions_bps=501, institutional=True
    )
    assert outflow.fee_bps == 100
    costed = rules.redemption_terms(
        weekly_liquid_bps=6_000, net_redemptions_bps=800, institutional=True, estimated_cost_bps=35
    )
    assert costed.fee_bps == 35
    retail = rules.redemption_terms(
        weekly_liquid_bps=6_000, net_redemptions_bps=800, institutional=False
    )
    assert (retail.fee_bps, retail.max_fee_bps) == (0, 200)


def test_mica_minimum_deposit_share_per_currency():
    holdings = [
        deposit(300, currency="EUR"),
        gov(700, 30, currency="EUR"),
        deposit(600),
        gov(400, 30),
    ]
    check_portfolio(holdings, TODAY, MiCAReserve())
    with pytest.raises(
        ContractError, match="deposits are 30% of the EUR reserve, below the 60% minimum"
    ):
        check_portfolio(holdings, TODAY, MiCASignificantReserve())


def test_capital_buffer():
    check_capital_buffer(10, 1000, Rule2a7v2023())  # no buffer in 2a-7
    with pytest.raises(ContractError, match=r"capital buffer 0\.5% is below the 1% minimum"):
        check_capital_buffer(5, 1000, Rule2a7v2023(min_capital_buffer_bps=100))


def test_module_is_deterministic_by_construction():
    # No floats, no clock, no I/O, nothing imported from off-ledger packages.
    tree = ast.parse(Path(rr.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert imported <= {"__future__", "dataclasses", "typing", "glassledger.errors"}
    floats = [
        n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, float)
    ]
    assert floats == []
    assert not any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) for n in ast.walk(tree))


holding_strategy = st.builds(
    lambda kind, value, days, reset, issuer, currency: Holding(
        currency,
        issuer,
        kind,
        value,
        value,
        TODAY + min(reset, days),
        TODAY + days,
        kind in (GOVERNMENT, DEPOSIT),
        kind in (GOVERNMENT, DEPOSIT),
    ),
    st.sampled_from([GOVERNMENT, DEPOSIT, "commercial_paper", "agency"]),
    st.integers(1, 10**12),
    st.integers(1, 397),
    st.integers(1, 397),
    st.sampled_from([f"I{i}" for i in range(30)]),
    st.sampled_from(["USD", "EUR"]),
)


@given(st.lists(holding_strategy, min_size=1, max_size=25))
def test_integer_wam_wal_equal_the_rounded_exact_computation(holdings):
    total = sum(h.value for h in holdings)
    exact_wam = Fraction(
        sum(h.value * (min(h.reset_day, h.maturity_day) - TODAY) for h in holdings), total
    )
    exact_wal = Fraction(sum(h.value * (h.maturity_day - TODAY) for h in holdings), total)
    assert wam_days(holdings, TODAY) == int(exact_wam + Fraction(1, 2))
    assert wal_days(holdings, TODAY) == int(exact_wal + Fraction(1, 2))
    float_wal = sum(h.value * (h.maturity_day - TODAY) for h in holdings) / total
    assume(abs(float_wal - round(float_wal)) != 0.5)
    assert wal_days(holdings, TODAY) == round(float_wal)


def _mostly_compliant(rows):
    """A government block worth twice the other assets, plus many small issuers."""
    others = [
        Holding("USD", f"I{i}", kind, v, v, TODAY + min(r, d), TODAY + d)
        for i, (kind, v, d, r) in enumerate(rows)
    ]
    return [gov(2 * sum(h.value for h in others), 20), *others]


other_rows = st.lists(
    st.tuples(
        st.sampled_from(["commercial_paper", "agency", "certificate_of_deposit"]),
        st.integers(50, 100),
        st.integers(1, 150),
        st.integers(1, 150),
    ),
    min_size=15,
    max_size=25,
)


@given(
    other_rows, st.integers(1, 10**12), st.sampled_from([Rule2a7v2010, Rule2a7v2014, Rule2a7v2023])
)
def test_adding_a_one_day_government_asset_keeps_a_passing_portfolio_passing(rows, value, version):
    rules = version()
    holdings = _mostly_compliant(rows)
    assert not violations(holdings, TODAY, rules)
    assert not violations([*holdings, gov(value, 1)], TODAY, rules)


@given(
    st.lists(holding_strategy, min_size=1, max_size=25), st.integers(0, 60), st.integers(0, 5_000)
)
def test_tightening_a_limit_never_turns_a_failure_into_a_pass(holdings, tighter_wam, higher_daily):
    loose = Rule2a7v2023()
    tight = Rule2a7v2023(
        max_wam_days=min(tighter_wam, 60), min_daily_liquid_bps=max(higher_daily, 2_500)
    )
    if violations(holdings, TODAY, loose):
        assert violations(holdings, TODAY, tight)


@given(st.lists(holding_strategy, min_size=1, max_size=15))
def test_on_ledger_figures_agree_with_the_off_ledger_sweep(holdings):
    # The same reserve measured by the float analytics (glassledger.basket.reserve_metrics) on
    # day TODAY: WAL and the weekly liquid share agree with the integer figures after rounding.
    import numpy as np
    import pandas as pd

    from glassledger.basket.reserve_metrics import reserve_metrics
    from glassledger.contracts.reserve_rules import liquid_value, share_bps

    table = pd.DataFrame(
        {
            "currency": ["USD"] * len(holdings),
            "amount": [float(h.value) for h in holdings],
            "start_day": [0] * len(holdings),
            "maturity_day": [h.maturity_day - TODAY + 1 for h in holdings],
            "reset_period": [0] * len(holdings),
            "daily_liquid": [h.daily_liquid for h in holdings],
            "weekly_liquid": [h.weekly_liquid for h in holdings],
        }
    )
    rates = pd.DataFrame({"USD": np.ones(2)}, index=pd.date_range("2024-01-01", periods=2))
    day1 = reserve_metrics(table, rates).iloc[1]  # day 1 of the sweep is TODAY
    fixed = [
        Holding(
            h.currency,
            h.issuer,
            h.kind,
            h.amount,
            h.value,
            h.maturity_day,
            h.maturity_day,
            h.daily_liquid,
            h.weekly_liquid,
        )
        for h in holdings
    ]
    assert abs(day1["wal_days"] - wal_days(fixed, TODAY)) <= 0.5 + 1e-9
    assert abs(day1["wam_days"] - wam_days(fixed, TODAY)) <= 0.5 + 1e-9
    weekly = share_bps(
        liquid_value(fixed, TODAY, horizon_days=5, weekly=True), sum(h.value for h in fixed)
    )
    assert abs(day1["weekly_liquid_share"] * 10_000 - weekly) <= 0.5 + 1e-6


def test_eligible_issuers_per_currency():
    rules = Rule2a7v2023(
        eligible_issuers=frozenset({("USD", "UST"), ("EUR", "DE"), ("USD", "ACME")}),
        max_issuer_bps=10_000,
    )
    check_portfolio([gov(600, 30), cp(400, 30)], TODAY, rules)
    with pytest.raises(ContractError, match="issuer 'UST' is not eligible for the EUR reserve"):
        check_portfolio([gov(600, 30), gov(400, 30, currency="EUR")], TODAY, rules)


def test_floating_and_stable_nav():
    from glassledger.contracts.reserve_rules import nav_per_unit_bps

    # Floating NAV (institutional prime, 2014 and later): market price to the basis point.
    assert nav_per_unit_bps(99_655, 100_000, Rule2a7v2014(), institutional_prime=True) == 9_966
    # Stable NAV: $1.00 while the shadow price is within 1/2 of 1% of par.
    assert nav_per_unit_bps(99_655, 100_000, Rule2a7v2010(), institutional_prime=True) == 10_000
    assert nav_per_unit_bps(99_655, 100_000, Rule2a7v2023(), institutional_prime=False) == 10_000
    with pytest.raises(ContractError, match=r"0\.9940 deviates"):
        nav_per_unit_bps(99_400, 100_000, Rule2a7v2023(), institutional_prime=False)
