"""Valuation agent: marks per second against QuantLib's own pricing time (the ceiling).

Run: ``.venv/bin/python benchmarks/valuation_agent.py [--trades 2000] [--repeat 7]``

Set-up: ``--trades`` ledger ``derivative`` records, a quarter of each template (swap, FX
forward, equity option, CDS), valued from one ``Market``. Measured in the same run:

1. **agent**: :func:`glassledger.pricing.agent.points` on a ledger state holding the
   records (``derivative/c/<id>``, canonical msgpack) and the oracle points the agent reads
   (``oracle/v/<kind>/<key>``: rates, FX, price, vol, hazard, recovery at scale 8): decoding
   the state, building the market, model set-up, QuantLib pricing, rounding to integer
   marks, i.e. a valuation round without the network;
2. **ceiling**: QuantLib alone on the same instruments: the options' ``european`` and the
   CDS' ``cds`` calls with the same inputs, plus the closed-form swap and forward sums. The
   ratio agent / ceiling says how close the agent is to QuantLib's own speed.
"""

from __future__ import annotations

import argparse
import time

from glassledger.ledger import codec
from glassledger.pricing import agent
from glassledger.pricing.valuation import Market, cds, european, value_to_long

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


def ledger_state(recs: list[dict], market: Market) -> dict[bytes, bytes]:
    """The state the agent reads: the records and ``market`` as oracle points (scale 8)."""
    state = {f"derivative/c/{c['id']}".encode(): codec.encode(c) for c in recs}
    for kind, values in [
        ("rate", market.rates),
        ("fx", market.fx),
        ("price", market.prices),
        ("vol", market.vols),
        ("hazard", market.hazards),
        ("recovery", market.recoveries),
    ]:
        for key, value in values.items():
            point = {"value": round(value * 1e8), "scale": 8, "observed_ms": NOW}
            state[f"oracle/v/{kind}/{key}".encode()] = codec.encode(point)
    return state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each; the best counts")
    args = parser.parse_args()
    recs = records(args.trades)
    market = Market(
        rates={"SOFR": 0.05, "USD": 0.05, "EUR": 0.03},
        fx={"EUR/USD": 1.08},
        prices={"ACME": 42.0},
        vols={"price:ACME": 0.2},
        hazards={"FIRM B": 0.02},
        recoveries={"FIRM B": 0.4},
    )
    state = ledger_state(recs, market)
    assert agent.market(state) == market

    def ceiling_run() -> None:
        for c in recs:
            p = c["params"]
            if c["template"] == "european_option":
                european(42.0, p["strike_e8"] / 1e8, 0.05, 0.2, 180 / 365, "call")
            elif c["template"] == "cds":
                cds(1_000_000.0, p["spread_bps"] / 1e4, 0.02, 0.4, 0.05, 5.0)
            else:
                value_to_long(c, market, NOW)

    marks = agent.points(state, NOW)  # warm-up (imports, QuantLib's first objects)
    elapsed, ceiling = float("inf"), float("inf")
    for _ in range(args.repeat):  # interleaved, best of each: the machine is shared
        start = time.perf_counter()
        marks = agent.points(state, NOW)
        elapsed = min(elapsed, time.perf_counter() - start)
        start = time.perf_counter()
        ceiling_run()
        ceiling = min(ceiling, time.perf_counter() - start)
    print(f"trades: {len(marks)}")
    print(f"agent:   {len(marks) / elapsed:10.0f} marks/s ({elapsed * 1e3:.1f} ms)")
    print(
        f"ceiling: {len(marks) / ceiling:10.0f} valuations/s, pricing calls alone "
        f"({ceiling * 1e3:.1f} ms)"
    )
    print(f"ratio agent/ceiling: {ceiling / elapsed:.2f}")


if __name__ == "__main__":
    main()
