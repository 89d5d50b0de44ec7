"""The scenario engine: agents act through signed transactions on the real chain.

A run builds a :class:`~glassledger.node.clocked.ClockedChain` (the real contracts, the real
execution, a simulated clock) from the devnet genesis plus the scenario's participants and
parameters, mints the initial balances (signed by each token's issuer), then hands a
:class:`Recorder` (a :class:`~glassledger.sim.market_day.Ledger`) to the scenario's runner.
Every agent's action is a signed transaction in a block; nothing writes state directly.

The recorder keeps one row per block (height, time, transactions, rejected, events) and one
row per block and agent (free and locked balance of each token the agent holds, minor units),
so results are DataFrames; :meth:`RunResult.save` writes them as Parquet beside the scenario
file and the key figures (JSON). At the end of every run, every token's supply is checked
against what is held (free balances plus escrow locks): a run that breaks conservation
raises :class:`ConservationError`.

Determinism: the chain is deterministic for its genesis, calls, times and ``draw_seed``; a
run passes its seed as the harness's ``draw_seed`` (and runners draw any randomness from
it), so one seed gives identical tables and figures (tested). Not identical: the ciphertext
of sealed private payloads (RFQ quotes, the monitor's warnings), encrypted with fresh random
keys as they must be, and so the hashes the ledger keeps of them and the state roots.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd

from glassledger.ledger.abc import BlockStore
from glassledger.ledger.codec import decode
from glassledger.ledger.tx import Receipt
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import ParticipantSpec
from glassledger.sim.market_day import Call, ClockedLedger, must
from glassledger.sim.scenario import Scenario, parse_scenario


class ConservationError(AssertionError):
    """A token's supply differs from what is held at the end of a run."""


class Recorder(ClockedLedger):
    """:class:`~glassledger.sim.market_day.Ledger` over the harness that records every block
    (and each agent's holdings after it)."""

    def __init__(self, chain: ClockedChain, step_ms: int, agents: Sequence[str]) -> None:
        super().__init__(chain, step_ms)
        self.agents = list(agents)
        self.block_rows: list[dict[str, Any]] = []
        self.agent_rows: list[dict[str, Any]] = []
        self.on_progress: Callable[[int], None] | None = None
        #: the run's seed: runners draw their randomness from it
        self.seed = 0

    def run(self, calls: Sequence[Call]) -> list[Receipt]:
        receipts = super().run(calls)
        self._record(calls, receipts, self.chain.system_events)
        return receipts

    def wait(self, ms: int) -> None:
        """Commit an empty block ``ms`` later (where deadlines pass: its hook events are the
        defaults); recorded like any block."""
        block = self.chain.advance(ms)
        self._record([], block.receipts, self.chain.system_events)

    def _record(self, calls: Sequence[Call], receipts: list[Receipt], system: list) -> None:
        height = self.chain.height
        hooks = sum(1 for h, _ in system if h == height)
        methods = [f"{c[1]}.{c[2]}" for c in calls]
        self.block_rows.append(block_row(height, self.time_ms, methods, receipts, hooks))
        state = self.store.state_at(height)
        self.agent_rows += agent_rows(height, holdings(state), self.agents)
        if self.on_progress is not None:
            self.on_progress(height)


def block_row(
    height: int, time_ms: int, methods: Sequence[str], receipts: Sequence[Receipt], hooks: int
) -> dict[str, Any]:
    """The ``blocks`` table's row of a block: its transactions' ``contract.method``s, their
    receipts and the number of events its begin/end hooks emitted."""
    return {
        "height": height,
        "time_ms": time_ms,
        "txs": len(receipts),
        "rejected": sum(not r.ok for r in receipts),
        "events": sum(len(r.events) for r in receipts) + hooks,
        "methods": ";".join(methods),
    }


def agent_rows(
    height: int, held: dict[str, dict[str, tuple[int, int]]], agents: Sequence[str]
) -> list[dict[str, Any]]:
    """The ``agents`` table's rows after block ``height`` (:func:`holdings` of its state)."""
    return [
        {"height": height, "agent": agent, "symbol": symbol, "free": free, "locked": locked}
        for agent in agents
        for symbol, (free, locked) in sorted(held.get(agent, {}).items())
    ]


def tables_from_store(
    store: BlockStore, agents: Sequence[str], start: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``blocks`` and ``agents`` tables of blocks ``start`` to the head of a chain that
    was not run through a :class:`Recorder` (the demo's embedded network), read back from
    its store: the state is rebuilt once at ``start - 1`` and rolled forward block by
    block."""
    from glassledger.ledger.abc import apply_writes

    state = store.state_at(start - 1)
    blocks: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for height in range(start, store.head_height() + 1):
        block = store.get_block(height)
        methods = [f"{t.tx.contract}.{t.tx.method}" for t in block.txs]
        hooks = len(store.get_system_events(height))
        receipts = store.get_receipts(height)
        blocks.append(block_row(height, block.header.timestamp_ms, methods, receipts, hooks))
        apply_writes(state, store.get_changes(height))
        rows += agent_rows(height, holdings(state), agents)
    return pd.DataFrame(blocks), pd.DataFrame(rows)


def holdings(state: Any) -> dict[str, dict[str, tuple[int, int]]]:
    """``{owner: {symbol: (free, locked)}}`` in minor units, from a chain state."""
    out: dict[str, dict[str, list[int]]] = {}
    for key, raw in state.items():
        if key.startswith(b"token/b/"):
            _, _, symbol, owner = key.decode().split("/", 3)
            out.setdefault(owner, {}).setdefault(symbol, [0, 0])[0] += decode(raw, int)
        elif key.startswith(b"token/l/"):
            lock = decode(raw, Any)
            owner = lock["holder"]  # the agent whose tokens are locked
            out.setdefault(owner, {}).setdefault(lock["symbol"], [0, 0])[1] += lock["amount"]
    return {o: {s: (v[0], v[1]) for s, v in d.items()} for o, d in out.items()}


def conservation(state: Any) -> pd.DataFrame:
    """Per token: ``supply``, ``free`` and ``locked`` (minor units) and ``conserved``
    (``supply == free + locked``)."""
    supply: dict[str, int] = {}
    free: dict[str, int] = {}
    locked: dict[str, int] = {}
    for key, raw in state.items():
        if key.startswith(b"token/t/"):
            token = decode(raw, Any)
            supply[token["symbol"]] = token["supply"]
        elif key.startswith(b"token/b/"):
            symbol = key.decode().split("/")[2]
            free[symbol] = free.get(symbol, 0) + decode(raw, int)
        elif key.startswith(b"token/l/"):
            lock = decode(raw, Any)
            locked[lock["symbol"]] = locked.get(lock["symbol"], 0) + lock["amount"]
    rows = [
        {"symbol": s, "supply": n, "free": free.get(s, 0), "locked": locked.get(s, 0)}
        for s, n in sorted(supply.items())
    ]
    table = pd.DataFrame(rows, columns=["symbol", "supply", "free", "locked"])
    table["conserved"] = table["supply"] == table["free"] + table["locked"]
    return table


def check_conservation(state: Any) -> pd.DataFrame:
    """:func:`conservation` of ``state``; :class:`ConservationError` if a token is not
    conserved."""
    tokens = conservation(state)
    broken = tokens[~tokens["conserved"]]
    if not broken.empty:
        raise ConservationError(f"tokens not conserved: {broken.to_dict('records')}")
    return tokens


@dataclass
class RunResult:
    """A scenario run: its tables (DataFrames), key figures and the scenario text."""

    scenario: Scenario
    scenario_text: str
    seed: int
    blocks: pd.DataFrame
    agents: pd.DataFrame
    events: pd.DataFrame
    tokens: pd.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)

    def save(self, out: Path | str) -> Path:
        """Write the run to directory ``out``: ``blocks``/``agents``/``events``/``tokens``
        Parquet, ``figures.json`` and ``scenario.yaml``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("blocks", "agents", "events", "tokens"):
            frame = getattr(self, name)
            if name == "events":
                frame = frame.assign(data=frame["data"].map(lambda d: json.dumps(d, default=str)))
            frame.to_parquet(out / f"{name}.parquet", index=False)
        meta = {
            "seed": self.seed,
            "name": self.scenario.name,
            "description": self.scenario.description,
            "figures": self.figures,
        }
        (out / "figures.json").write_text(json.dumps(meta, indent=2, default=str))
        (out / "scenario.yaml").write_text(self.scenario_text)
        return out

    @classmethod
    def load(cls, out: Path | str) -> RunResult:
        """A run saved by :meth:`save`."""
        from glassledger.errors import InputError

        out = Path(out)
        if not (out / "figures.json").is_file():
            raise InputError(f"{out}: not a scenario run directory (no figures.json)")
        meta = json.loads((out / "figures.json").read_text())
        text = (out / "scenario.yaml").read_text()
        tables = {
            n: pd.read_parquet(out / f"{n}.parquet")
            for n in ("blocks", "agents", "events", "tokens")
        }
        tables["events"]["data"] = tables["events"]["data"].map(json.loads)
        scenario = parse_scenario(text, str(out / "scenario.yaml"))
        # a run may be named and described apart from its file (the demo's run of a scenario)
        scenario = msgspec.structs.replace(
            scenario,
            name=meta.get("name", scenario.name),
            description=meta.get("description", scenario.description),
        )
        return cls(
            scenario,
            text,
            meta["seed"],
            figures=meta["figures"],
            **tables,
        )


def start(scenario: Scenario, seed: int) -> Recorder:
    """A fresh chain for ``scenario`` (devnet + its participants and params, or the genesis
    its runner builds: a runner's ``genesis(scenario, extra)`` attribute), initial balances
    minted by each token's issuer, wrapped in a :class:`Recorder`."""
    from glassledger.sim import runners

    extra = [
        ParticipantSpec(p.id, list(p.roles), legal_name=p.legal_name or p.id)
        for p in scenario.participants
    ]
    build = getattr(runners.RUNNERS[scenario.kind], "genesis", None)
    if build is not None:  # a runner with a consortium of its own (the basket coin's)
        genesis = build(scenario, extra)
    else:
        genesis = devnet_genesis(extra=extra, params=dict(scenario.params))
    genesis.time_ms = scenario.start_ms
    chain = ClockedChain.start(genesis, draw_seed=seed)
    agents = sorted(p.id for p in genesis.participants)
    ledger = Recorder(chain, scenario.step_ms, agents)
    ledger.seed = seed
    if scenario.balances:
        must(
            ledger,
            [
                (
                    scenario.cash_issuer,
                    "token",
                    "mint",
                    {"symbol": b.symbol, "to": b.owner, "amount": b.amount},
                )
                for b in scenario.balances
            ],
            "initial balances",
        )
    return ledger


def events_table(store: BlockStore, start: int = 0) -> pd.DataFrame:
    """Every event of the blocks from ``start`` on: height, contract, name and data."""
    rows = [
        {
            "height": r.height,
            "tx_index": -1 if r.tx_index is None else r.tx_index,
            "contract": r.event.contract,
            "name": r.event.name,
            "data": dict(r.event.data),
        }
        for r in store.events(start)
    ]
    return pd.DataFrame(rows, columns=["height", "tx_index", "contract", "name", "data"])


def run_scenario(
    scenario: Scenario,
    text: str,
    seed: int | None = None,
    progress: bool = False,
) -> RunResult:
    """Run ``scenario`` (its ``seed`` unless given); Rich progress bar when ``progress``."""
    from glassledger.sim import runners

    seed = scenario.seed if seed is None else seed
    ledger = start(scenario, seed)
    runner = runners.RUNNERS[scenario.kind]
    if progress:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(f"{scenario.name} (seed {seed})", total=runner.blocks)
            ledger.on_progress = lambda h: bar.update(task, completed=min(h, runner.blocks))
            figures = runner(ledger, scenario)
    else:
        figures = runner(ledger, scenario)
    tokens = check_conservation(ledger.store.state_at(ledger.chain.height))
    figures["tokens_conserved"] = len(tokens)
    return RunResult(
        scenario,
        text,
        seed,
        pd.DataFrame(ledger.block_rows),
        pd.DataFrame(ledger.agent_rows),
        events_table(ledger.store),
        tokens,
        figures,
    )
