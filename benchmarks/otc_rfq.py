"""1,000 requests for quote turned into trades: throughput and latency.

Every RFQ goes the whole way: the client's request (suitability, template checks), three
dealers' sealed quotes (each sealed off the ledger to the client and the regulator,
committed and signed; the contract verifies the signature), and the client's acceptance
(reveal checked against the commitment and the signature, credit limit, initial margin
taken, trade booked in ``derivative`` and the ``trades`` register). Blocks are executed and
committed by the real chain (:class:`~glassledger.node.clocked.ClockedChain`: every
signature checked, state root, memory store).

* throughput: ``--rfqs`` RFQs in three blocks (all requests, all quotes, all acceptances),
  trades booked per second of ledger time (propose + commit of the three blocks);
* latency: one RFQ alone, request to booked trade: the three blocks' ledger time; at the
  devnet's 200 ms block interval the wall-clock latency is about 3 x 200 ms plus that;
* off-ledger: the dealers' sealing + signing time per quote;
* baseline in the same run: ``--rfqs`` plain token transfers in one block (the cheapest
  transaction), transfers per second; the ratio says what an RFQ costs in transfers.

    python benchmarks/otc_rfq.py [--rfqs 1000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from glassledger.ledger.crypto import KeyPair
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import BalanceSpec
from glassledger.node.rfq_client import accept_args, make_quote

DEALERS = ["dealer-0", "dealer-1", "dealer-2"]
CLIENTS = 20


def chain_ready() -> ClockedChain:
    genesis = devnet_genesis(
        clients=CLIENTS, cash_per_client=10**12, params={"max_block_txs": 20_000}
    )
    genesis.balances += [BalanceSpec("USD", d, 10**13) for d in DEALERS]
    chain = ClockedChain.start(genesis, draw_seed=None)
    setup = [
        chain.tx(
            "regulator",
            "oracle",
            "post",
            kind="rate",
            key="SOFR",
            value=5_000_000,
            scale=8,
            observed_ms=chain.time_ms,
        )
    ]
    for d in DEALERS:
        for i in range(CLIENTS):
            setup += [
                chain.tx(d, "rfq", "set_credit_limit", counterparty=f"client-{i}", limit=10**13),
                chain.tx(
                    d, "derivative", "post_collateral", counterparty=f"client-{i}", amount=10**11
                ),
            ]
    _ok(chain.commit(setup))
    return chain


def _ok(receipts) -> None:
    bad = [r.message for r in receipts if not r.ok]
    if bad:
        raise SystemExit(f"{len(bad)} transactions refused, first: {bad[0]}")


def timed(chain: ClockedChain, txs) -> float:
    start = time.perf_counter()
    receipts = chain.commit(txs)
    elapsed = time.perf_counter() - start
    _ok(receipts)
    return elapsed


def run_rfqs(chain: ClockedChain, ids: list[str]) -> tuple[list[float], float]:
    """Request, quote (3 dealers), accept every RFQ in ``ids``: the three blocks' ledger
    times and the off-ledger sealing time per quote."""
    client_of = {t: f"client-{n % CLIENTS}" for n, t in enumerate(ids)}
    regulator = KeyPair.from_name("regulator").public
    expiry = chain.time_ms + 3_600_000
    requests = [
        chain.tx(
            client_of[t],
            "rfq",
            "request",
            rfq_id=t,
            template_name="irs",
            params={"periods": 8},
            notional=1_000_000_00,
            side="pay_fixed",
            expiry_ms=expiry,
            dealers=DEALERS,
        )
        for t in ids
    ]
    t_request = timed(chain, requests)
    start = time.perf_counter()
    quotes = {
        (t, d): make_quote(
            KeyPair.from_name(d),
            t,
            d,
            {client_of[t]: KeyPair.from_name(client_of[t]).public, "regulator": regulator},
            4_000_000 + k,
            expiry,
        )
        for t in ids
        for k, d in enumerate(DEALERS)
    }
    sealing = (time.perf_counter() - start) / len(quotes)
    t_quote = timed(chain, [chain.tx(d, "rfq", "quote", **q.args) for (_, d), q in quotes.items()])
    accepts = [
        chain.tx(
            client_of[t],
            "rfq",
            "accept",
            **accept_args(
                quotes[(t, "dealer-0")].envelope, client_of[t], KeyPair.from_name(client_of[t])
            ),
        )
        for t in ids
    ]
    t_accept = timed(chain, accepts)
    booked = sum(1 for t in ids if chain.get("derivative", f"c/{t}") is not None)
    assert booked == len(ids), f"{booked} of {len(ids)} trades booked"
    return [t_request, t_quote, t_accept], sealing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rfqs", type=int, default=1_000)
    parser.add_argument("--single", type=int, default=5, help="isolated RFQs for latency")
    args = parser.parse_args()
    chain = chain_ready()
    gc.collect()
    gc.freeze()
    transfers = [
        chain.tx(
            f"client-{n % CLIENTS}",
            "token",
            "transfer",
            symbol="USD",
            to=f"client-{(n + 1) % CLIENTS}",
            amount=1,
        )
        for n in range(args.rfqs)
    ]
    baseline = timed(chain, transfers)
    latencies = []
    for n in range(args.single):
        blocks, _ = run_rfqs(chain, [f"L{n}"])
        latencies.append(sum(blocks))
    blocks, sealing = run_rfqs(chain, [f"R{n}" for n in range(args.rfqs)])
    total = sum(blocks)
    rate = args.rfqs / total
    base_rate = args.rfqs / baseline
    print(
        f"{args.rfqs} RFQs -> trades (3 dealers each): request {blocks[0]:.3f} s, "
        f"quotes {blocks[1]:.3f} s, accept {blocks[2]:.3f} s of ledger time"
    )
    print(
        f"throughput: {rate:,.0f} trades/s; baseline {base_rate:,.0f} token transfers/s in "
        f"one block; ratio {base_rate / rate:.1f} transfers per RFQ-to-trade"
    )
    print(
        f"latency of one RFQ alone (3 blocks' ledger time): median "
        f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
        f"+ 3 block intervals (200 ms each on the devnet)"
    )
    print(f"off-ledger: sealing + committing + signing one quote {sealing * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
