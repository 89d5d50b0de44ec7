"""Valuation agent: marks per second against QuantLib's own pricing time (the ceiling).

Run: ``.venv/bin/python benchmarks/valuation_agent.py [--trades 2000]``

Set-up: ``--trades`` ledger ``derivative`` records, a quarter of each template (swap, FX
forward, equity option, CDS), valued from one ``Market``. Measured in the same run:

1. **agent**: :func:`glassledger.pricing.valuation.mark_points` over the records (record
   parsing, model set-up, QuantLib pricing, rounding to integer marks);
2. **ceiling**: QuantLib alone on the same instruments: the options' ``european`` and the
   CDS' ``cds`` calls with the same inputs, plus the closed-form swap and forward sums. The
   ratio agent / ceiling says how close the agent is to QuantLib's own speed.
"""

from __future__ import annotations

import argparse
import time

from glassledger.pricing.valuation import Market, cds, european, mark_points, value_to_long

DAY = 86_400_000
NOW = 1_800_000_000_000


def records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        kind = ("irs", "fx_forward", "european_option", "cds")[i % 4]
        params = {
            "irs": {
                "fixed_rate_e8": 4_000_000 + i,
                "float_index": "SOFR",
                "spread_e8": 0,
                "period_days": 90,
                "periods": 20,
            },
            "fx_forward": {
                "forward_rate_e8": 108_000_000 + i,
                "pair": "EUR/USD",
                "value_date_ms": NOW + 180 * DAY,
                "base_decimals": 2,
                "settlement": "cash",
            },
            "european_option": {
                "premium": 0,
                "underlying": "price:ACME",
                "option_type": "call",
                "strike_e8": (40 + i % 10) * 10**8,
                "expiry_ms": NOW + 180 * DAY,
                "settlement": "cash",
                "deliverable": "",
                "deliverable_decimals": 0,
                "asset_class": "EQUITY",
            },
            "cds": {
                "spread_bps": 100 + i % 50,
                "reference": "FIRM B",
                "period_days": 90,
                "maturity_ms": NOW + 5 * 365 * DAY,
            },
        }[kind]
        out.append(
            {
                "id": f"T{i}",
                "template": kind,
                "params": params,
                "notional": 1_000_000_00,
                "decimals": 2,
                "currency": "USD",
                "state": "live",
                "a_long": i % 2 == 0,
                "due_ms": NOW + 30 * DAY,
                "period": 1,
                "fixing_e8": 5_000_000,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=2000)
    args = parser.parse_args()
    recs = records(args.trades)
    market = Market(
        rates={"SOFR": 0.05, "USD": 0.05, "EUR": 0.03},
        fx={"EUR/USD": 1.08},
        prices={"ACME": 42.0},
        vols={"price:ACME": 0.2},
        hazards={"FIRM B": 0.02},
    )
    start = time.perf_counter()
    marks = mark_points(recs, market, NOW)
    agent = time.perf_counter() - start
    start = time.perf_counter()
    for c in recs:
        p = c["params"]
        if c["template"] == "european_option":
            european(42.0, p["strike_e8"] / 1e8, 0.05, 0.2, 180 / 365, "call")
        elif c["template"] == "cds":
            cds(1_000_000.0, p["spread_bps"] / 1e4, 0.02, 0.4, 0.05, 5.0)
        else:
            value_to_long(c, market, NOW)
    ceiling = time.perf_counter() - start
    print(f"trades: {len(marks)}")
    print(f"agent:   {len(marks) / agent:10.0f} marks/s ({agent * 1e3:.1f} ms)")
    print(
        f"ceiling: {len(marks) / ceiling:10.0f} valuations/s, pricing calls alone "
        f"({ceiling * 1e3:.1f} ms)"
    )
    print(f"ratio agent/ceiling: {ceiling / agent:.2f}")


if __name__ == "__main__":
    main()
