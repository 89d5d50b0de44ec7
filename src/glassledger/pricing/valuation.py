"""Valuation of the smart derivative templates with QuantLib (1.44), for the valuation agent.

Models: Black-Scholes-Merton for equity and commodity options, Garman-Kohlhagen for FX
options (``AnalyticEuropeanEngine``), a flat hazard-rate curve with
``MidPointCdsEngine`` for CDS, discounting on a flat continuously compounded curve
(``FlatForward``; QuantLib dates are whole days, so year fractions are mapped to
Actual/360 days, exact for 0.5 or 4/12 years) for swaps and FX forwards. Rates, vols and
hazard rates are decimals per year (0.05 = 5%); times in years; amounts in the units given.
Every rate a model needs is required, never taken as 0 (a missing one is a ``KeyError``
naming it, which the agent reports): the swap's float index (projection and discounting),
both currencies of an FX pair, the netting-set currency for options and CDS.

:func:`mark` turns a ``derivative`` record (``c/<id>``) into the integer mark the contract
reads: minor units of the netting-set currency, **party A's side** (positive: B owes A), as
posted in an ``oracle.post_batch`` of kind ``mark``, scale 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import QuantLib as ql

DAY_MS = 86_400_000
E8 = 100_000_000
_DC = ql.Actual360()  # with whole days = years x 360, year fractions are exact
_CAL = ql.NullCalendar()
_TODAY = ql.Date(1, 1, 2026)  # pricing works on year fractions; the anchor date is arbitrary


def _curve(rate: float) -> ql.YieldTermStructureHandle:
    return ql.YieldTermStructureHandle(ql.FlatForward(_TODAY, rate, _DC))


def _vol(sigma: float) -> ql.BlackVolTermStructureHandle:
    return ql.BlackVolTermStructureHandle(ql.BlackConstantVol(_TODAY, _CAL, sigma, _DC))


def _date(years: float) -> ql.Date:
    return _TODAY + max(1, round(years * 360))


def european(
    spot: float,
    strike: float,
    rate: float,
    sigma: float,
    years: float,
    kind: str = "call",
    dividend: float = 0.0,
    foreign_rate: float | None = None,
) -> float:
    """Price of one European option: Black-Scholes-Merton (``dividend`` yield), or
    Garman-Kohlhagen when ``foreign_rate`` is given (``rate`` domestic, spot in domestic per
    foreign unit)."""
    ql.Settings.instance().evaluationDate = _TODAY
    u = ql.QuoteHandle(ql.SimpleQuote(spot))
    if foreign_rate is None:
        process = ql.BlackScholesMertonProcess(u, _curve(dividend), _curve(rate), _vol(sigma))
    else:
        process = ql.GarmanKohlagenProcess(u, _curve(foreign_rate), _curve(rate), _vol(sigma))
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, strike)
    option = ql.VanillaOption(payoff, ql.EuropeanExercise(_date(years)))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return option.NPV()


def cds(
    notional: float,
    spread: float,
    hazard: float,
    recovery: float,
    rate: float,
    years: float,
    period_months: int = 3,
) -> tuple[float, float]:
    """``(npv_to_protection_buyer, par_spread)`` of a CDS paying running ``spread`` (decimal
    per year) on a flat ``hazard`` curve with ``recovery``, ``MidPointCdsEngine``."""
    ql.Settings.instance().evaluationDate = _TODAY
    end = _date(years)
    schedule = ql.Schedule(
        _TODAY,
        end,
        ql.Period(period_months, ql.Months),
        _CAL,
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Backward,
        False,
    )
    swap = ql.CreditDefaultSwap(
        ql.Protection.Buyer, notional, spread, schedule, ql.Unadjusted, ql.Actual360()
    )
    probability = ql.DefaultProbabilityTermStructureHandle(
        ql.FlatHazardRate(_TODAY, ql.QuoteHandle(ql.SimpleQuote(hazard)), _DC)
    )
    swap.setPricingEngine(ql.MidPointCdsEngine(probability, recovery, _curve(rate)))
    return swap.NPV(), swap.fairSpread()


@dataclass
class Market:
    """Inputs read from the oracle at a height: ``rates`` (index or currency -> decimal),
    ``fx`` (pair -> rate), ``prices`` (key -> price), ``vols`` (underlying -> decimal),
    ``hazards`` (reference -> decimal), ``recoveries`` (reference -> decimal), ``recovery``
    (the default for a reference without one: 40%, the ISDA standard for senior unsecured
    CDS)."""

    rates: dict[str, float] = field(default_factory=dict)
    fx: dict[str, float] = field(default_factory=dict)
    prices: dict[str, float] = field(default_factory=dict)
    vols: dict[str, float] = field(default_factory=dict)
    hazards: dict[str, float] = field(default_factory=dict)
    recoveries: dict[str, float] = field(default_factory=dict)
    recovery: float = 0.4


def _df(rate: float, years: float) -> float:
    return math.exp(-rate * max(years, 0.0))


def value_to_long(c: dict[str, Any], market: Market, now_ms: int) -> float:
    """Value of record ``c`` to its long party, in major units of its currency."""
    p = c["params"]
    scale = 10 ** c["decimals"]
    notional = c["notional"]
    if c["template"] == "irs":
        rate = market.rates[p["float_index"]]
        value, due = 0.0, c["due_ms"]
        remaining = p["periods"] - c.get("period", 0) + 1 if due else 0
        for k in range(remaining):
            pay_ms = due + k * p["period_days"] * DAY_MS
            fixing = c["fixing_e8"] / E8 if k == 0 else rate
            coupon = (
                (fixing + p["spread_e8"] / E8 - p["fixed_rate_e8"] / E8) * p["period_days"] / 360
            )
            value += notional / scale * coupon * _df(rate, (pay_ms - now_ms) / DAY_MS / 365)
        return value
    if c["template"] == "fx_forward":
        base, _, quote = p["pair"].partition("/")
        years = (p["value_date_ms"] - now_ms) / DAY_MS / 365
        rd, rf = market.rates[quote], market.rates[base]
        forward = market.fx[p["pair"]] * _df(rf, years) / _df(rd, years)
        base_units = notional / 10 ** p["base_decimals"]
        return base_units * (forward - p["forward_rate_e8"] / E8) * _df(rd, years)
    if c["template"] == "european_option":
        kind, _, key = p["underlying"].partition(":")
        years = max((p["expiry_ms"] - now_ms) / DAY_MS / 365, 1 / 365)
        if kind == "fx":
            base, _, quote = key.partition("/")
            spot = market.fx[key]
            price = european(
                spot,
                p["strike_e8"] / E8,
                market.rates[quote],
                market.vols[p["underlying"]],
                years,
                p["option_type"],
                foreign_rate=market.rates[base],
            )
        else:
            price = european(
                market.prices[key],
                p["strike_e8"] / E8,
                market.rates[c["currency"]],
                market.vols[p["underlying"]],
                years,
                p["option_type"],
            )
        return notional * price
    if c["template"] == "cds":
        years = (p["maturity_ms"] - now_ms) / DAY_MS / 365
        npv, _ = cds(
            notional / scale,
            p["spread_bps"] / 10_000,
            market.hazards[p["reference"]],
            market.recoveries.get(p["reference"], market.recovery),
            market.rates[c["currency"]],
            years,
        )
        return npv
    raise ValueError(f"no valuation for template {c['template']!r}")


def mark(c: dict[str, Any], market: Market, now_ms: int) -> int:
    """The mark of record ``c``: minor units, party A's side (positive: B owes A)."""
    v = round(value_to_long(c, market, now_ms) * 10 ** c["decimals"])
    return v if c["a_long"] else -v


def mark_points(records: list[dict[str, Any]], market: Market, now_ms: int) -> list[list[Any]]:
    """``[[trade_id, mark], ...]`` for live records: the ``points`` of an
    ``oracle.post_batch(kind="mark", scale=0)``."""
    return [[c["id"], mark(c, market, now_ms)] for c in records if c["state"] in ("live", "fixed")]
