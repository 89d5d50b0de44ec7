"""``glassledger demo``: a guided run of the embedded network, end to end.

1. create a node home (genesis with a regulator, a settlement bank, dealers, a CCP, a
   guarantor and clients; fresh key files) and start the embedded network of authorities on
   SQLite;
2. the regulator registers a new dealer and sets its credit score;
3. the periodic authority election runs: the regulator commits a seed, the window closes, the
   seed is revealed and the credit-weighted lottery draws the new authority set, which takes
   effect a fixed number of blocks later;
4. clients make token transfers (some deliberately invalid, to show typed rejections);
5. the basket coin is set up on the IMF's SDR basket; authorized dealers mint and redeem
   against the basket; its balance sheet, adequacy and rates are printed;
6-7. a market day (:mod:`glassledger.sim.market_day`): repos, a pool loan and the facility;
   a swap and an option through a sealed RFQ under a guarantee line;
8. one stress event on the same chain: the shipped ``dealer_default`` scenario's shocks and
   monitor (:func:`glassledger.sim.runners.default_stress`): missed margin calls, a repo
   default, close-out netting, the guarantee called, the monitor's sealed warnings before
   the deadlines and the contagion cascade; then the trade repository's attestations;
9. risk off the trades register (SA-CCR EAD, expected loss);
10. the chain is replayed and verified, a balance is proven against a block header, and
    every token's conservation is checked;
11. the chain is saved as a scenario run (Parquet tables, figures) and its self-contained
    HTML report written (:mod:`glassledger.sim.report`).

Each step prints what happened; the run ends with Rich tables of the key figures and of where
every output is. :func:`serve` then serves the API and the dashboard on the demo's home.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from glassledger.contracts.registry import standard_registry
from glassledger.errors import InputError
from glassledger.ledger.authorities import authorities_at
from glassledger.ledger.crypto import BatchVerifier, KeyPair, save_key
from glassledger.ledger.execution import last_nonce
from glassledger.ledger.tx import SignedTransaction, Transaction
from glassledger.ledger.verify import prove, verify_chain
from glassledger.node.devnet import GENESIS_TIME_MS
from glassledger.node.embedded import EmbeddedNetwork, wall_clock_ms
from glassledger.node.genesis import BalanceSpec, Genesis, ParticipantSpec
from glassledger.node.home import Home, init_home
from glassledger.sim import basket_devnet, market_day
from glassledger.sim.engine import RunResult, check_conservation, events_table, tables_from_store
from glassledger.sim.report import write_report
from glassledger.sim.scenario import Scenario, load_scenario

console = Console()

DEALERS = 6
CLIENTS = 8
ELECTION_PERIOD = 30
#: the dealers of the market day, and the shipped scenario whose stress the demo runs on it
DAY_DEALERS = [f"dealer-{i}" for i in range(4)]
STRESS = "dealer_default"
#: margin-call deadlines (repo) and call windows (derivatives), wall-clock ms: long enough
#: for the regulator's monitor to publish its warnings first on a loaded machine, short
#: enough for the demo's minute
DEADLINE_MS = 5_000


def demo_genesis() -> Genesis:
    """The demo consortium: the basket-coin consortium of :mod:`glassledger.sim.basket_devnet`
    (regulator, dealers 0-3 as the first authorities, five settlement banks, the coin's SPV,
    authorized dealers and their users) plus two more dealers, a CCP, a guarantor and clients
    holding USD. Credit scores on the 0..1000 scale."""
    genesis = basket_devnet.basket_genesis(
        users_per_currency=1,
        chain_id="glassledger-demo",
        time_ms=max(GENESIS_TIME_MS, wall_clock_ms() - 60_000),
        params={
            "block_interval_ms": 20,
            "round_timeout_ms": 1_000,
            "election_period": ELECTION_PERIOD,
            "election_window": 6,
            "reveal_timeout": 12,
            "authority_count": 4,
            # the stress's margin-call deadlines pass within the demo's minute
            "repo_margin_deadline_ms": DEADLINE_MS,
        },
    )
    scores = [820, 790, 740, 700, 660, 610]
    for person in genesis.participants:
        if person.id.startswith("dealer-"):
            person.credit_score = scores[int(person.id.removeprefix("dealer-"))]
    extra = [
        ParticipantSpec("ccp", ["ccp"], legal_name="Central Counterparty", credit_score=880),
        ParticipantSpec("guarantor", ["guarantor"], legal_name="Guarantee Co", credit_score=760),
        *(
            ParticipantSpec(
                f"dealer-{i}", ["dealer"], legal_name=f"Dealer {i}", credit_score=scores[i]
            )
            for i in range(4, DEALERS)
        ),
        *(ParticipantSpec(f"client-{i}", ["client"]) for i in range(CLIENTS)),
        *(msgspec.structs.replace(p) for p in market_day.PARTICIPANTS),
    ]
    genesis.participants += extra
    for person in genesis.participants:
        person.public_key = ""  # `init` makes fresh keys and key files for everyone
    genesis.balances += [BalanceSpec("USD", f"client-{i}", 1_000_000_00) for i in range(CLIENTS)]
    return genesis


class Driver:
    """Signs transactions for participants of a home and runs them through the network."""

    def __init__(self, home: Home, network: EmbeddedNetwork) -> None:
        self.home = home
        self.net = network
        self.nonces: dict[str, int] = {}
        self.keys: dict[str, KeyPair] = {}

    def key(self, who: str) -> KeyPair:
        if who not in self.keys:
            self.keys[who] = self.home.load_keys(who)
        return self.keys[who]

    def tx(self, who: str, contract: str, method: str, **args) -> SignedTransaction:
        keys = self.key(who)
        nonce = self.nonces.get(who, last_nonce(self.net.chain.state, keys.public) + 1)
        self.nonces[who] = nonce + 1
        return Transaction(
            self.net.chain.chain_id, keys.public, nonce, contract, method, args
        ).sign(keys)

    @property
    def time_ms(self) -> int:
        return self.net.chain.head.timestamp_ms

    @property
    def store(self):
        return self.net.chain.store

    def wait(self, ms: int) -> None:
        """Let ``ms`` of block time pass (the network seals empty blocks meanwhile)."""
        until = self.time_ms + ms
        self.net.run_until(lambda: self.time_ms >= until, timeout_s=60)

    def run_calls(self, calls) -> list:
        """:class:`glassledger.sim.market_day.Ledger`: one batch of calls, receipts in order."""
        txs = [self.tx(who, c, m, **args) for who, c, m, args in calls]
        if not txs:
            self.net.run_blocks(1)
            return []
        found = self.run(txs)
        return [found[tx.hash] for tx in txs]

    def run(self, txs: list[SignedTransaction]) -> dict[bytes, object]:
        """Submit, wait until all are final; returns receipts by transaction hash."""
        hashes = {self.net.submit(tx) for tx in txs}
        start = self.net.chain.height
        self.net.drain()
        found = {}
        for height in range(start + 1, self.net.chain.height + 1):
            for receipt in self.net.chain.store.get_receipts(height):
                if receipt.tx_hash in hashes:
                    found[receipt.tx_hash] = receipt
        return found


def _authority_names(chain) -> list[str]:
    return [pid for pid, _ in authorities_at(chain.state, chain.height + 1)]


def run_demo(
    home_path: Path | None = None,
    transfers: int = 2_000,
    seed: int = 7,
    stress: str | Path = STRESS,
) -> dict:
    """Run the demo; ``stress`` is the dealer-default scenario (a file or a shipped name)
    whose shocks and monitor make the stress event; returns the summary figures (also
    printed)."""
    rng = random.Random(seed)
    scenario, scenario_text = _stress_scenario(stress)
    if home_path is None:
        home_path = Path(tempfile.mkdtemp(prefix="glassledger-demo-"))
    console.rule("[bold]glassledger demo")
    home = init_home(home_path, demo_genesis())
    chain = home.open_chain(standard_registry())
    console.print(f"1. node home [bold]{home.path}[/bold]; chain {chain.chain_id!r} on SQLite")
    console.print(f"   first authorities: {', '.join(_authority_names(chain))}")
    with BatchVerifier() as verifier:
        net = EmbeddedNetwork(chain, home.authority_capable_keys(), verifier=verifier)
        driver = Driver(home, net)
        net.run_blocks(2)

        # 2. the regulator registers a new dealer and scores it
        newcomer = KeyPair.generate()
        save_key(home.key_file("dealer-6"), newcomer, "dealer-6")
        receipts = driver.run(
            [
                driver.tx(
                    "regulator",
                    "identity",
                    "register",
                    participant="dealer-6",
                    roles=["dealer"],
                    keys=[newcomer.public],
                    legal_name="Dealer 6",
                ),
                driver.tx(
                    "regulator", "governance", "set_score", participant="dealer-6", score=850
                ),
            ]
        )
        assert all(r.ok for r in receipts.values()), receipts
        net.pool[newcomer.public] = newcomer
        console.print("2. regulator registered [bold]dealer-6[/bold] (credit score 850)")

        # 3. the periodic election with commit-reveal randomness
        before = _authority_names(chain)
        _run_election(driver, net)
        console.print(f"3. election: {', '.join(before)} -> {', '.join(_authority_names(chain))}")

        # 4. transfers, with a few invalid ones
        clients = [f"client-{i}" for i in range(CLIENTS)]
        txs = []
        for _ in range(transfers):
            sender, receiver = rng.sample(clients, 2)
            txs.append(
                driver.tx(
                    sender,
                    "token",
                    "transfer",
                    symbol="USD",
                    to=receiver,
                    amount=rng.randint(1, 50_000_00),
                )
            )
        txs.append(
            driver.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=10**13)
        )
        txs.append(driver.tx("client-1", "token", "mint", symbol="USD", to="client-1", amount=1))
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("4. transfers", total=len(txs))
            hashes = {net.submit(tx) for tx in txs}
            start = chain.height
            while len(net.mempool):
                net.step()
                bar.update(task, completed=len(txs) - len(net.mempool))
        results = [
            r
            for h in range(start + 1, chain.height + 1)
            for r in chain.store.get_receipts(h)
            if r.tx_hash in hashes
        ]
        ok = sum(r.ok for r in results)
        reasons = sorted({r.reason for r in results if not r.ok})
        console.print(
            f"4. {ok} transfers committed, {len(results) - ok} rejected ({', '.join(reasons)})"
        )

        # 5. the basket coin: set up, authorized dealers mint and redeem against the basket
        coin = _basket_coin(driver, net)

        # 6-7. a market day: funding (repo, pool, facility) and derivatives (RFQ)
        ledger = _DemoLedger(driver)
        funding, derivatives = _market_day(ledger)

        # 8. one stress event on the same chain: the dealer-default scenario's shocks
        stress_from = chain.height
        figures = _stress(ledger, scenario, funding, derivatives)
        repository = _repository(ledger)

    # 9. risk read off the ledger: the trades register that repo, pool and derivatives fill
    risk = _risk(chain)

    # 10. verify and prove; every token conserved
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("10. verifying", total=chain.height + 1)
        verify_chain(
            chain.store, standard_registry(), progress=lambda h: bar.update(task, completed=h + 1)
        )
    key = b"token/b/USD/client-1"
    proof = prove(chain.store, key, chain.height)
    proven = proof.verify(chain.store.get_block(chain.height).header.state_root)
    balance = msgspec.msgpack.decode(proof.value) / 100
    tokens = check_conservation(chain.store.state_at(chain.height))
    console.print(
        f"10. chain verified from genesis; client-1 holds USD {balance:,.2f} "
        f"(proof against block {chain.height}: {'valid' if proven else 'INVALID'}); "
        f"{len(tokens)} tokens, every one conserved (supply = free + locked)"
    )

    # 11. the run's tables (Parquet) and the HTML report
    figures["tokens_conserved"] = len(tokens)
    figures["stress_from_height"] = stress_from
    run = _run_result(chain, scenario, scenario_text, seed, figures, tokens)
    run_dir = run.save(home.path / "run")
    report = write_report(run, home.path / "report.html")

    summary = {
        "home": str(home.path),
        "height": chain.height,
        "transactions": sum(c.tx_count for c in net.commits),
        "transfers_ok": ok,
        "rejected": len(results) - ok,
        "authorities": _authority_names(chain),
        "coins_outstanding": coin["outstanding"],
        "adequate": coin["adequate"],
        "repos_opened": len(funding.repos),
        "stress": scenario.name,
        "rfq_winner": derivatives.winner,
        "margin_calls": figures["repo_margin_calls"],
        "pool_liquidations": figures["pool_liquidations"],
        "defaults": figures["defaults"],
        "total_loss": figures["total_loss"],
        "guarantee_paid": figures["guarantee_paid"],
        "warned_before": figures["defaulters_warned_before"],
        "not_warned_before": figures["defaulters_not_warned_before"],
        "repository_records": repository["records"],
        "netting_sets_with_exposure": risk["netting_sets"],
        "total_ead_usd": risk["ead"],
        "expected_loss_usd": risk["el"],
        "tokens_conserved": len(tokens),
        "proof_valid": proven,
        "run": str(run_dir),
        "report": str(report),
    }
    # the last connection closing checkpoints the store's write-ahead log into its file:
    # readers opening it read-only afterwards (serve, the repository commands) see every block
    chain.store.close()
    _print_summary(summary, home)
    return summary


def _stress_scenario(source: str | Path) -> tuple[Scenario, str]:
    """The dealer-default scenario the demo's stress plays, checked before anything runs:
    its shocks, the participants they and the monitor name (the demo's)."""
    scenario, text = load_scenario(source)
    if scenario.kind != "dealer_default":
        raise InputError(
            f"{source}: the demo's stress event plays a dealer_default scenario, not a "
            f"{scenario.kind} one"
        )
    market_day.check_shocks(scenario.shocks, f"{source}: shocks")
    known = {p.id for p in demo_genesis().participants}
    named = {s.target for s in scenario.shocks if s.kind == "miss_call"}
    named |= set(scenario.monitor.capital) | {p.id for p in scenario.participants if p.capital}
    unknown = sorted(named - known)
    if unknown:
        raise InputError(
            f"{source}: {', '.join(unknown)}: not a participant of the demo (its dealers are "
            f"{', '.join(DAY_DEALERS)}, its client client-0, the money fund fund-0)"
        )
    return scenario, text


def _run_result(chain, scenario, text: str, seed: int, figures: dict, tokens) -> RunResult:
    """The demo as a scenario run of its stress (the report's input): every block of the
    chain, the holdings of the stress's participants, every event."""
    agents = sorted(
        {*scenario.dealers, scenario.client, scenario.guarantor, *scenario.monitor.capital}
        | {p.id for p in scenario.participants if p.capital}
    )
    blocks, holdings = tables_from_store(chain.store, agents)
    described = msgspec.structs.replace(
        scenario,
        name="demo",
        description=(
            "glassledger demo: a 4-authority network, an election, transfers, the basket "
            "coin, a market day (repo, pool, facility, derivatives via RFQ), then the "
            f"{scenario.name} stress on the same chain from block "
            f"{figures['stress_from_height'] + 1}: " + scenario.description
        ),
    )
    return RunResult(
        described, text, seed, blocks, holdings, events_table(chain.store), tokens, figures
    )


def _usd(cents: int) -> str:
    return f"USD {cents / 100:,.2f}"


def _print_summary(summary: dict, home: Home) -> None:
    """The key figures (Rich tables) and where every output is."""
    table = Table(title="glassledger demo: key figures", show_header=False, title_justify="left")
    table.add_column("figure", style="bold")
    table.add_column("value")
    rows = {
        "network": [
            ("blocks / transactions", f"{summary['height']:,} / {summary['transactions']:,}"),
            ("authorities after the election", ", ".join(summary["authorities"])),
            (
                "chain verified, proof",
                f"yes, {'valid' if summary['proof_valid'] else 'INVALID'}",
            ),
            ("tokens conserved", str(summary["tokens_conserved"])),
        ],
        "market day": [
            (
                "transfers committed / rejected",
                f"{summary['transfers_ok']:,} / {summary['rejected']}",
            ),
            (
                "basket coins outstanding",
                f"{summary['coins_outstanding']:,} "
                f"({'adequate' if summary['adequate'] else 'NOT adequate'})",
            ),
            ("repos opened (DvP)", str(summary["repos_opened"])),
            ("swap won by (sealed RFQ)", summary["rfq_winner"]),
            ("trade-repository records", str(summary["repository_records"])),
        ],
        f"stress: {summary['stress']}": [
            ("repo margin calls", str(summary["margin_calls"])),
            ("pool liquidations", str(summary["pool_liquidations"])),
            ("total loss", _usd(summary["total_loss"])),
            ("guarantee paid", _usd(summary["guarantee_paid"])),
            ("warned before defaulting", ", ".join(summary["warned_before"]) or "nobody"),
            ("NOT warned before", ", ".join(summary["not_warned_before"]) or "nobody"),
        ],
        "risk (trades register)": [
            ("netting sets with exposure", str(summary["netting_sets_with_exposure"])),
            ("SA-CCR EAD", f"USD {summary['total_ead_usd']:,}"),
            ("expected loss", f"USD {summary['expected_loss_usd']:,}"),
        ],
    }
    for section, items in rows.items():
        table.add_row(f"[cyan]{section}", "")
        for name, value in items:
            table.add_row(f"  {name}", value)
        table.add_section()
    console.print(table)
    defaults = Table(title="defaults (USD)", title_justify="left")
    for column in ("defaulter", "what", "block", "loss", "guarantee", "claim", "warned in"):
        defaults.add_column(column, justify="left" if column in ("defaulter", "what") else "right")
    for d in summary["defaults"]:
        warned = f"block {d['first_warning_height']}" if d["warned_before"] else "NOT before"
        defaults.add_row(
            d["defaulter"],
            d["what"].replace("derivatives close-out (netted)", "netted close-out"),
            str(d["height"]),
            f"{d['loss'] / 100:,.0f}",
            f"{d['guarantee_paid'] / 100:,.0f}",
            f"{d['claim'] / 100:,.0f}",
            warned,
        )
    console.print(defaults)
    # paths printed whole (soft wrap), so they can be copied from any terminal width
    console.print("[bold]outputs")
    for what, where in (
        ("node home", home.path),
        ("chain (SQLite)", home.store),
        ("key files", home.keys),
        ("run tables (Parquet) and figures", summary["run"]),
        ("HTML report", summary["report"]),
    ):
        console.print(f"  {what}: {where}", markup=False, soft_wrap=True)
    console.print(
        f"next: glassledger serve --home {home.path} (API and dashboard), "
        f"glassledger report {summary['run']}, glassledger verify --home {home.path}",
        markup=False,
        soft_wrap=True,
    )


def _basket_coin(driver: Driver, net: EmbeddedNetwork) -> dict:
    """Set the coin up on the SDR 2022 amounts, mint and redeem; print its books."""
    from glassledger.contracts.basket_book import snapshot

    setup = basket_devnet.setup_calls(net.chain.head.timestamp_ms)
    receipts = driver.run([driver.tx(who, c, m, **args) for who, c, m, args in setup])
    assert all(r.ok for r in receipts.values()), receipts
    flows = [
        (basket_devnet.dealer("USD"), "mint", 50),
        (basket_devnet.dealer("EUR"), "mint", 30),
        (basket_devnet.dealer("JPY"), "mint", 20),
        (basket_devnet.dealer("USD"), "redeem", 10),
    ]
    receipts = driver.run([driver.tx(who, "basket", m, units=u) for who, m, u in flows])
    assert all(r.ok for r in receipts.values()), receipts
    view = snapshot(net.chain.state.get)
    units = sum(u if m == "mint" else -u for _, m, u in flows)
    coins = units * basket_devnet.UNIT_COINS // 10**basket_devnet.COIN_DECIMALS
    console.print(
        f"5. basket coin {basket_devnet.COIN}: {coins:,} coins outstanding after 3 mints and a "
        f"redemption; theoretical {float(view.theoretical):.5f} USD, intrinsic "
        f"{float(view.intrinsic):.5f} USD per coin; per-currency adequacy "
        f"{'holds' if view.adequacy.per_currency else 'FAILS'}, balance sheet "
        f"{'balanced' if view.sheet.balanced else 'UNBALANCED'}"
    )
    return {"outstanding": coins, "adequate": view.adequacy.overall}


class _DemoLedger:
    """The demo's driver as a :class:`glassledger.sim.market_day.Ledger`."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.run = driver.run_calls
        self.wait = driver.wait
        self.keys = driver.key

    @property
    def time_ms(self) -> int:
        return self.driver.time_ms

    @property
    def store(self):
        return self.driver.store


def _market_day(ledger: _DemoLedger):
    """The funding and derivatives market day (:mod:`glassledger.sim.market_day`), with the
    funding views printed."""
    from glassledger.funding import concentration, ledger_sofr, participants, snapshot_at

    usd_bank = basket_devnet.bank("USD")
    funding = market_day.funding_day(ledger, usd_bank, DAY_DEALERS)
    snap = snapshot_at(ledger.store)
    sofr = ledger_sofr(snap)
    conc = concentration(snap).set_index("side")
    rate = float(sofr["rate_bps"].iloc[-1]) / 100 if len(sofr) else float("nan")
    console.print(
        f"6. funding day: {len(funding.repos)} repos on tokenized Treasuries (DvP), a pool "
        f"loan and the reverse-repo facility; on-ledger overnight rate {rate:.2f}%; lenders' "
        f"HHI {conc.loc['lenders', 'hhi']:,.0f}"
    )
    table = participants(snap)
    shown = table[table["participant"].isin(["fund-0", *DAY_DEALERS])]
    view = Table(title="funding positions (USD)")
    for column in ("participant", "lent", "borrowed", "margin_excess", "health_factor"):
        view.add_column(column, justify="left" if column == "participant" else "right")
    for row in shown.itertuples(index=False):
        view.add_row(
            row.participant,
            f"{row.lent / 100:,.0f}",
            f"{row.borrowed / 100:,.0f}",
            f"{row.margin_excess / 100:,.0f}",
            "inf" if row.health_factor == float("inf") else f"{row.health_factor:.2f}",
        )
    console.print(view)
    # the derivatives day's parties get (fictitious, check-digit-valid) LEIs: the UTIs and
    # the trade repository's reports identify counterparties by them
    market_day.must(
        ledger,
        [
            ("regulator", "identity", "set_lei", {"participant": who, "lei": _demo_lei(who)})
            for who in (*DAY_DEALERS, "client-0", "guarantor")
        ],
        "set the LEIs",
    )
    derivatives = market_day.derivatives_day(
        ledger, usd_bank, DAY_DEALERS, "client-0", "guarantor", call_window_ms=DEADLINE_MS
    )
    console.print(
        f"7. derivatives day: sealed RFQ to 3 dealers, {derivatives.winner} wins the swap at "
        f"{derivatives.quotes[derivatives.winner] / 1e6:.3f}%; client-0 sells it an index "
        f"call; both under the guarantor's credit line"
    )
    return funding, derivatives


def _stress(ledger: _DemoLedger, scenario: Scenario, funding, derivatives) -> dict[str, Any]:
    """The stress event: the shipped dealer-default scenario's shocks and monitor
    (:func:`glassledger.sim.runners.default_stress`) on the demo's market day."""
    from glassledger.sim.runners import default_stress

    shocks = ", ".join(
        f"{s.kind} {s.target}"
        + (f" {s.bps:+} bp" if s.bps else "")
        + (f" at USD {s.amount / 100:,.0f}" if s.kind == "mark" else "")
        + f" (round {s.step})"
        for s in scenario.shocks
    )
    console.print(f"8. stress event ({scenario.name}.yaml): {shocks}")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("8. stress rounds (each waits out its margin deadlines)", total=None)
        figures = default_stress(
            ledger,
            scenario,
            funding,
            derivatives,
            on_round=lambda done, total: bar.update(task, completed=done, total=total),
        )
    for d in figures["defaults"]:
        warned = (
            f"warned by the monitor in block {d['first_warning_height']}, before"
            if d["warned_before"]
            else "NOT warned before its default"
        )
        paid = (
            f", close-out USD {d['close_out_amount'] / 100:,.2f} netted across both trades: "
            f"USD {d['paid'] / 100:,.2f} from margin, guarantee paid "
            f"USD {d['guarantee_paid'] / 100:,.2f}"
            if "close_out_amount" in d
            else ""
        )
        console.print(
            f"   {d['defaulter']} defaults in block {d['height']} ({d['what']}){paid}; loss "
            f"USD {d['loss'] / 100:,.2f} = claim; {warned}"
        )
    last = figures["analyses"][-1] if figures["analyses"] else None
    cascade = (
        "; ".join(f"round {r}: {', '.join(v) or '-'}" for r, v in sorted(last["cascade"].items()))
        if last
        else "no analysis"
    )
    console.print(
        f"   {figures['repo_margin_calls']} repo margin calls, {figures['pool_liquidations']} "
        f"pool liquidation; total loss USD {figures['total_loss'] / 100:,.2f}; "
        f"{len(figures['analyses'])} monitor analyses published (sealed); contagion cascade "
        f"{cascade}"
    )
    return figures


def _demo_lei(participant: str) -> str:
    """A fictitious LEI for a demo participant: ``GLSLDEMO`` + its id, check digits valid."""
    from glassledger.contracts.identity import with_check_digits

    return with_check_digits(f"GLSLDEMO{participant.upper().replace('-', ''):0>10}"[:18])


def _repository(ledger: _DemoLedger) -> dict:
    """The trade repository after the derivatives day: every reporting counterparty attests
    its own report; reconciliation then finds nothing; the Part 45 reports' sizes."""
    from glassledger.contracts.repository import MAX_ATTEST
    from glassledger.reporting.fields import report_frames
    from glassledger.reporting.ledger import repository_at
    from glassledger.reporting.reconcile import attest_items, own_report, reconcile

    view = repository_at(ledger.store)
    calls = []
    for party in sorted({e.reporter for e in view.events}):
        mine = own_report(view, party)
        mine = mine[mine["subject"].isin({e.subject for e in view.events if e.reporter == party})]
        for start in range(0, len(mine), MAX_ATTEST):
            part = mine.iloc[start : start + MAX_ATTEST].reset_index(drop=True)
            calls.append((party, "repository", "attest", {"reports": attest_items(part)}))
    market_day.must(ledger, calls, "attest the dealers' reports")
    view = repository_at(ledger.store)
    mismatches = reconcile(view)
    frames = report_frames(view, "cftc")
    console.print(
        f"8b. trade repository: {len(view.events)} records, one per derivative event; "
        f"{len(calls)} attestations by the reporting counterparties; reconciliation: "
        f"{len(mismatches)} mismatches; Part 45 reports: {len(frames['trade'])} trade, "
        f"{len(frames['valuation'])} valuation, {len(frames['margin'])} margin rows"
    )
    return {"records": len(view.events), "mismatches": len(mismatches)}


def _risk(chain) -> dict:
    """SA-CCR EAD and expected loss of every netting set in the trades register."""
    from glassledger.risk.service import risk_at

    frame = risk_at(chain.store, chain.height)
    live = frame[frame["EAD"] > 0]
    top = live.sort_values("EAD", ascending=False).head(3)
    listed = ", ".join(f"{r.netting_set} EAD {r.EAD:,.0f}" for r in top.itertuples())
    console.print(
        f"9. risk from the trades register: {live['netting_set'].nunique()} directed netting "
        f"sets with exposure (repo, pool, derivatives); largest: {listed}; expected loss "
        f"USD {frame['el'].sum():,.0f}"
    )
    return {
        "netting_sets": int(live["netting_set"].nunique()),
        "ead": round(float(live["EAD"].sum())),
        "el": round(float(frame["el"].sum())),
    }


def _run_election(driver: Driver, net: EmbeddedNetwork) -> None:
    """Wait for the periodic election's draw, commit a seed, reveal it after the close, and
    wait until the new set is in force."""
    chain = net.chain
    net.run_until(lambda: chain.state.get(b"governance/draw") is not None, timeout_s=120)
    draw = msgspec.msgpack.decode(chain.state.get(b"governance/draw"))
    seed = os.urandom(32)
    receipts = driver.run(
        [
            driver.tx(
                "regulator",
                "governance",
                "commit_seed",
                draw=draw["number"],
                digest=hashlib.sha256(seed).digest(),
            )
        ]
    )
    assert all(r.ok for r in receipts.values()), receipts
    net.run_until(lambda: chain.height > draw["close"], timeout_s=120)
    receipts = driver.run(
        [driver.tx("regulator", "governance", "reveal_seed", draw=draw["number"], seed=seed)]
    )
    assert all(r.ok for r in receipts.values()), receipts
    delay = chain.params.get("authority_change_delay", 2)
    net.run_blocks(delay + 1)


def has_display() -> bool:
    """Whether a browser window can be shown: a desktop OS, or an X11/Wayland display."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(home_path: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and the dashboard over the demo's home (``glassledger serve``'s app)
    with the home's embedded network running beside it (``glassledger node``, in its own
    process, so that transactions submitted through the API are finalized), print the URL,
    open a browser when a display exists, and serve until Ctrl-C; then stop the network
    (SIGTERM: it finishes its step, nothing queued is lost)."""
    import threading
    import time
    import webbrowser

    import uvicorn

    from glassledger.api.cli import home_app

    home = Home(home_path)
    server = uvicorn.Server(uvicorn.Config(home_app(home.path), host, port, log_level="warning"))
    url = f"http://{host}:{port}/dashboard/"
    log = home.path / "node.log"
    with open(log, "ab") as out:
        node = subprocess.Popen(
            [sys.executable, "-m", "glassledger", "node", "--home", str(home.path)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    console.print(
        f"dashboard: {url}  (sign in with the key file {home.key_file('regulator')}, or any "
        f"participant's in {home.keys})\nAPI: http://{host}:{port}/v1/... (OpenAPI: "
        f"http://{host}:{port}/docs)\nthe embedded network runs beside it (pid {node.pid}, "
        f"log {log}); Ctrl-C stops both",
        markup=False,
        soft_wrap=True,
    )

    def browse() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            webbrowser.open(url)

    if has_display():
        threading.Thread(target=browse, daemon=True).start()
    try:
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises its Ctrl-C
            server.run()
    finally:
        _stop(node)
    console.print(f"dashboard stopped; network stopped at exit code {node.returncode}")


def _stop(process: subprocess.Popen, grace_s: float = 60.0) -> None:
    """SIGTERM ``process`` (a Ctrl-C in the terminal may have reached it already) and wait;
    kill it only if it has not stopped after ``grace_s``."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
