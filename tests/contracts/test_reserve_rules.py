"""On-ledger reserve rules: SEC Rule 2a-7 (2010, 2014, 2023) and MiCA, in integers.

Limits checked against the rule texts cited in the module docstring (17 CFR 270.2a-7 as
amended by Releases IC-29132 (2010), IC-31166 (2014), IC-34959 (2023); MiCA art. 36)."""

import ast
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import glassledger.contracts.business_days as bd
import glassledger.contracts.reserve_rules as rr
from glassledger.contracts.reserve_rules import (
    DEPOSIT,
    GOVERNMENT,
    Holding,
    MiCAReserve,
    MiCASignificantReserve,
    Ratio,
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
        weekly_liquid=Ratio(3500, 10_000), net_redemptions=Ratio(0, 10_000), institutional=True
    )
    assert (terms.fee_bps, terms.gate_permitted) == (0, False)
    terms = rules.redemption_terms(
        weekly_liquid=Ratio(2000, 10_000), net_redemptions=Ratio(0, 10_000), institutional=True
    )
    assert (terms.fee_bps, terms.max_fee_bps, terms.gate_permitted) == (0, 200, True)
    terms = rules.redemption_terms(
        weekly_liquid=Ratio(900, 10_000), net_redemptions=Ratio(0, 10_000), institutional=False
    )
    assert (terms.fee_bps, terms.gate_permitted) == (100, True)
    gov_fund = rules.redemption_terms(
        weekly_liquid=Ratio(900, 10_000),
        net_redemptions=Ratio(0, 10_000),
        institutional=False,
        government_fund=True,
    )
    assert gov_fund.gate_permitted is False and gov_fund.fee_bps == 0


def test_2023_removes_gates_and_makes_fees_mandatory_on_large_outflows():
    rules = Rule2a7v2023()
    low_liquidity = rules.redemption_terms(
        weekly_liquid=Ratio(900, 10_000), net_redemptions=Ratio(0, 10_000), institutional=True
    )
    assert low_liquidity.gate_permitted is False and low_liquidity.fee_bps == 0
    outflow = rules.redemption_terms(
        weekly_liquid=Ratio(6000, 10_000), net_redemptions=Ratio(501, 10_000), institutional=True
    )
    assert outflow.fee_bps == 100
    costed = rules.redemption_terms(
        weekly_liquid=Ratio(6000, 10_000),
        net_redemptions=Ratio(800, 10_000),
        institutional=True,
        estimated_cost_bps=35,
    )
    assert costed.fee_bps == 35
    retail = rules.redemption_terms(
        weekly_liquid=Ratio(6000, 10_000), net_redemptions=Ratio(800, 10_000), institutional=False
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


@pytest.mark.parametrize("module", [rr, bd], ids=lambda m: m.__name__)
def test_module_is_deterministic_by_construction(module):
    # No floats, no clock, no I/O, nothing imported from off-ledger packages: the rules and
    # their business-day calendar (holidays computed by rule, not read from anywhere).
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    allowed = {"__future__", "dataclasses", "typing", "functools", "glassledger.errors"}
    assert imported <= allowed | {"glassledger.contracts.business_days"}
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
    # Day 1 of the sweep is ledger day TODAY (days since 1970-01-01): same business days.
    first = pd.Timestamp("1970-01-01") + pd.Timedelta(days=TODAY - 1)
    rates = pd.DataFrame({"USD": np.ones(2)}, index=pd.date_range(first, periods=2))
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
        liquid_value(fixed, TODAY, business_days=5, weekly=True), sum(h.value for h in fixed)
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


# -- business days, agency discount notes, exact figures in messages -------------------------

FRIDAY = 20_000  # 2024-10-04, a Friday (ledger day numbers are days since 1970-01-01)


def _at(kind, value, maturity_day, issuer="ACME"):
    return Holding("USD", issuer, kind, value, value, maturity_day, maturity_day)


def test_a_friday_to_monday_maturity_is_daily_liquid_and_seven_days_weekly():
    rules = Rule2a7v2023()
    monday, next_friday = FRIDAY + 3, FRIDAY + 7
    holdings = [_at("commercial_paper", 100, monday), _at("commercial_paper", 100, next_friday)]
    assert rr.daily_liquid_value(holdings, FRIDAY, rules) == 100
    assert rr.weekly_liquid_value(holdings, FRIDAY, rules) == 200
    # Columbus Day, Monday 14 October 2024: from Friday the 11th one business day is Tuesday
    # the 15th and five are Monday the 21st.
    assert rr.daily_liquid_value([_at("repo", 5, FRIDAY + 11)], FRIDAY + 7, rules) == 5
    assert rr.weekly_liquid_value([_at("repo", 5, FRIDAY + 17)], FRIDAY + 7, rules) == 5
    assert rr.weekly_liquid_value([_at("repo", 5, FRIDAY + 18)], FRIDAY + 7, rules) == 0


def test_agency_discount_notes_of_60_days_or_less_are_weekly_liquid():
    # 17 CFR 270.2a-7(a), "weekly liquid assets" (iii): agency discount notes with a remaining
    # maturity of 60 days or less. Not under MiCA, and not daily liquid.
    note = rr.AGENCY_DISCOUNT_NOTE
    holdings = [_at(note, 100, FRIDAY + 60), _at(note, 100, FRIDAY + 61)]
    assert rr.weekly_liquid_value(holdings, FRIDAY, Rule2a7v2010()) == 100
    assert rr.weekly_liquid_value(holdings, FRIDAY, Rule2a7v2023()) == 100
    assert rr.daily_liquid_value(holdings, FRIDAY, Rule2a7v2023()) == 0
    assert rr.weekly_liquid_value(holdings, FRIDAY, MiCAReserve()) == 0
    assert rr.weekly_liquid_value([_at("agency", 100, FRIDAY + 30)], FRIDAY, Rule2a7v2023()) == 0


def test_limit_messages_show_the_breach():
    # WAM of 60.001 days against 60: the message must not read "60 days exceeds 60".
    holdings = [gov(999, 60), cp(1, 61)]  # WAM = (999 * 60 + 61) / 1000 = 60.001
    found = violations(holdings, TODAY, Rule2a7v2023(max_issuer_bps=10_000))
    assert [v.message for v in found if v.rule == "WAM"] == [
        "WAM 60.001 days exceeds the 60-day limit of Rule 2a-7 (2023)"
    ]
    # Daily liquid 9.9999% against a 10% minimum.
    illiquid = [gov(99_999, 30), cp(900_001, 30)]
    found = violations(illiquid, TODAY, Rule2a7v2010(max_issuer_bps=10_000))
    message = next(v.message for v in found if v.rule == "daily liquid assets")
    assert message.startswith("daily liquid assets 9.9999% are below the 10% minimum")


@given(st.integers(1, 10**9), st.integers(1, 10**9), st.integers(0, 10_000))
def test_a_breach_message_never_prints_a_figure_on_the_wrong_side_of_its_limit(
    part, extra, limit_bps
):
    total = part + extra
    if 10_000 * part > limit_bps * total:
        shown = rr._pct_breach(part, total, limit_bps, above=True)
        assert Fraction(shown.rstrip("%")) * 100 > limit_bps
    elif 10_000 * part < limit_bps * total:
        shown = rr._pct_breach(part, total, limit_bps, above=False)
        assert Fraction(shown.rstrip("%")) * 100 < limit_bps


def test_net_redemptions_are_compared_exactly():
    # 26 of 519 units = 5.0096%: more than 5%, the 2023 mandatory fee applies (a share floored
    # to 500 bps first would not be "more than 5%").
    terms = Rule2a7v2023().redemption_terms(
        weekly_liquid=Ratio(1, 1), net_redemptions=Ratio(26, 519), institutional=True
    )
    assert terms.fee_bps == 100
    exact = Rule2a7v2023().redemption_terms(
        weekly_liquid=Ratio(1, 1), net_redemptions=Ratio(25, 500), institutional=True
    )
    assert exact.fee_bps == 0
