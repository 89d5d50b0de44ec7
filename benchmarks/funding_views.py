"""Funding views for 10,000 participants at one height: under 1 s.

Run: ``.venv/bin/python benchmarks/funding_views.py [--participants 10000]``

Set-up: the repo market of the tests; 30 repos opened through signed transactions (DvP,
trades register, index), their committed state then cloned to ``participants / 2`` repos
between distinct sellers and buyers (``participants`` names in all), each participant also
holding a USD balance: the state the contracts would have written for that many repos.

Measured in the same run: parsing the state into a snapshot (one pass over every key), then
every view (positions, collateral by issue, repo book, on-ledger SOFR, pool markets,
facility take-up, concentration). Baseline: decoding every funding value once with the codec
and nothing else (the floor for any view that reads all positions).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from glassledger.errors import DecodeError
from glassledger.funding import views
from glassledger.funding.snapshot import parse
from glassledger.ledger.codec import decode, encode
from support.repo_market import NOTE, market


def _get(fc, key: str) -> Any:
    raw = fc.chain.state.get(key.encode())
    return None if raw is None else decode(raw, Any)


def build(participants: int):
    fc = market()
    seeded = []
    for k in range(30):
        repo_id = f"S{k}"
        cash = 100_000_00 + k
        fc.ok(
            "dealer-0",
            "repo",
            "propose",
            repo_id=repo_id,
            side="seller",
            counterparty="fund-0",
            cash=cash,
            rate_bps=500 + k,
            term_days=1,
            collateral={NOTE: cash * 103 // 100},
        )
        fc.ok("fund-0", "repo", "accept", repo_id=repo_id)
        seeded.append(_get(fc, f"repo/r/{repo_id}"))
    state = dict(fc.chain.state.data)
    for n in range(participants // 2):
        rec = dict(seeded[n % len(seeded)])
        seller, buyer = f"s{n}", f"b{n}"
        rec.update(id=f"C{n}", seller=seller, buyer=buyer, trade=f"repo/C{n}")
        state[f"repo/r/C{n}".encode()] = encode(rec)
        face = rec["collateral"][NOTE]
        lock = {"symbol": NOTE, "holder": seller, "amount": face, "owner": "repo"}
        state[f"token/l/repo/C{n}/c/{NOTE}".encode()] = encode(lock)
        for who in (seller, buyer):
            state[f"token/b/USD/{who}".encode()] = encode(1_000_000_00 + n)
    return fc, state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    fc, state = build(args.participants)
    wanted = (b"token/", b"oracle/", b"treasury/", b"repo/", b"pool/", b"facility/")
    start = time.perf_counter()
    for key, raw in state.items():
        if key.startswith(wanted):
            with contextlib.suppress(DecodeError):
                decode(raw, Any)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    snap = parse(state, fc.height, fc.time_ms)
    parsed = time.perf_counter() - start
    timings = {}
    start = time.perf_counter()
    people = views.participants(snap)
    timings["participants"] = (time.perf_counter() - start, len(people))
    for name in (
        "participants",
        "collateral_by_issue",
        "repo_book",
        "ledger_sofr",
        "pool_markets",
        "facility_take_up",
        "concentration",
    ):
        start = time.perf_counter()
        extra = {"positions": people} if name == "concentration" else {}
        frame = getattr(views, name)(snap, **extra)
        timings[name] = (time.perf_counter() - start, len(frame))
    total = parsed + sum(t for t, _ in timings.values())
    print(
        f"state: {len(state):,} keys; {len(people):,} participants with positions; "
        f"{len(snap.repos):,} repos"
    )
    print(f"baseline (decode every funding value once): {baseline:.3f} s")
    print(f"snapshot parse:                             {parsed:.3f} s")
    for name, (seconds, rows) in timings.items():
        print(f"  {name:<22} {seconds:.3f} s  ({rows:,} rows)")
    print(
        f"all views incl. parse: {total:.3f} s  ({total / baseline:.2f}x baseline); "
        f"target < 1 s: {'met' if total < 1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
