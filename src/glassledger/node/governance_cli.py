"""``glassledger governance``: the authority lottery's odds and a node's governance state.

* ``glassledger governance odds [scores.csv] --min-score 60 --seats 4`` -- for a file of
  candidates (columns ``id``, ``score``) or, without a file, the candidates and parameters of
  the chain in ``--home``: each one's probability ``P_i`` (seed 003, formula (2) as read in
  docs/governance.md), lottery tokens, and exact probability of being selected;
* ``glassledger governance status`` -- authorities (current and pending), candidates, the
  open draw, excluded participants and missed-round counts of a node home;
* ``glassledger governance draw`` -- as the regulator, queue the seed commitment or reveal the
  open draw needs (seeds kept by :class:`glassledger.node.regulator.DrawSeeds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from glassledger.contracts.governance import NAME, candidate_scores
from glassledger.contracts.lottery import VARIANTS, allocate_tokens, lottery_weights
from glassledger.errors import GlassledgerError
from glassledger.ledger.abi import BlockInfo, Context
from glassledger.ledger.chain import Chain
from glassledger.node.genesis import DEFAULT_PARAMS
from glassledger.node.home import Home
from glassledger.options import (
    DEFAULT_HOME,
    HOME_ENV,
    HomeOption,
    home_or_default,
    node_home,
    out_file,
    participant,
    refuse,
)
from glassledger.sim.lottery_stats import inclusion_probabilities

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Authority governance: lottery odds, a node's governance state.",
    no_args_is_help=True,
)
console = Console()


def odds_table(
    scores: Mapping[str, int],
    min_score: int,
    seats: int,
    total_tokens: int = 10_000,
    variant: str = "proportional",
) -> pd.DataFrame:
    """One row per candidate (index ``id``): ``score`` (C_i), ``eligible`` (C_i >= C_min),
    ``p`` (P_i of formula (2), decimal), ``tokens`` (out of ``total_tokens``), ``n_times_p``
    (N * P_i, what drawing with replacement would suggest) and ``inclusion`` (the exact
    probability of being among the ``seats`` selected by the lottery, decimal)."""
    weights = lottery_weights(scores, min_score, variant)
    tokens = allocate_tokens(weights, total_tokens)
    weight_sum = sum(weights.values())
    frame = pd.DataFrame({"score": pd.Series(dict(scores), dtype="int64")}).sort_index()
    frame.index.name = "id"
    frame["eligible"] = frame["score"] >= min_score
    frame["p"] = pd.Series({c: w / weight_sum for c, w in weights.items()}).reindex(
        frame.index, fill_value=0.0
    )
    frame["tokens"] = pd.Series(tokens).reindex(frame.index, fill_value=0).astype("int64")
    frame["n_times_p"] = seats * frame["p"]
    frame["inclusion"] = inclusion_probabilities(tokens, seats).reindex(frame.index, fill_value=0.0)
    return frame


def read_scores(path: Path) -> dict[str, int]:
    """Candidates from a CSV or Parquet file with columns ``id`` and ``score`` (non-negative
    integers), checked by the declared table :data:`glassledger.schemas.governance.SCORES`."""
    from glassledger.schemas.governance import read_scores as read_declared

    return read_declared(path)


def chain_candidates(chain: Chain) -> dict[str, int]:
    """``{id: C_i}`` of the candidates in a chain's committed state (before the ``C_min``
    threshold; excluded participants left out), read through the contract's own rule."""
    info = BlockInfo(chain.height, chain.head.timestamp_ms, chain.params, chain.registry)
    return candidate_scores(Context(info, chain.state, "governance", "system", frozenset(), []))


@app.command()
def odds(
    scores_csv: Annotated[
        Path | None,
        typer.Argument(help="CSV with columns id, score (C_i); default: the node's candidates."),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar=HOME_ENV,
            parser=node_home,
            help="Node home whose next election to show (default ./.glassledger; not with "
            "SCORES_CSV).",
        ),
    ] = None,
    min_score: Annotated[int | None, typer.Option(help="C_min (default: chain's).")] = None,
    seats: Annotated[int | None, typer.Option(help="N to draw (default: chain's).")] = None,
    tokens: Annotated[int | None, typer.Option(help="T, lottery tokens.")] = None,
    variant: Annotated[str | None, typer.Option(help=f"One of {', '.join(VARIANTS)}.")] = None,
    out: Annotated[
        Path | None, typer.Option(parser=out_file, help="Also write the table to this CSV.")
    ] = None,
) -> None:
    """Each candidate's P_i, lottery tokens and exact probability of being selected, for a
    scores file or for the next election of the chain in ``--home``."""
    try:
        params: dict[str, Any] = {}
        if scores_csv is None:
            chain = Home(home_or_default(home)).open_chain()
            scores, params = chain_candidates(chain), chain.params
        else:
            scores = read_scores(scores_csv)

        def setting(value: Any, name: str) -> Any:
            return value if value is not None else params.get(name, DEFAULT_PARAMS[name])

        min_score = setting(min_score, "min_credit_score")
        seats = setting(seats, "authority_count")
        tokens = setting(tokens, "lottery_tokens")
        table = odds_table(scores, min_score, seats, tokens, setting(variant, "lottery_variant"))
    except (GlassledgerError, OSError) as exc:
        refuse(exc)
    if out is not None:
        table.to_csv(out)
    view = Table(title=f"authority lottery: N = {seats}, T = {tokens}, C_min = {min_score}")
    for column in ("id", "C_i", "eligible", "P_i", "tokens", "N x P_i", "P(selected)"):
        view.add_column(column, justify="left" if column == "id" else "right")
    for candidate, row in table.iterrows():
        view.add_row(
            str(candidate),
            str(row["score"]),
            "yes" if row["eligible"] else "no",
            f"{row['p']:.4f}",
            str(row["tokens"]),
            f"{row['n_times_p']:.4f}",
            f"{row['inclusion']:.4f}",
        )
    console.print(view)


@app.command()
def status(home: HomeOption = DEFAULT_HOME) -> None:
    """Authorities, candidates, the open draw, exclusions and missed rounds of a node home."""
    try:
        chain = Home(home).open_chain()
    except GlassledgerError as exc:
        refuse(exc)
    state: dict[str, Any] = {
        key.decode().removeprefix("governance/"): msgspec.msgpack.decode(raw)
        for key, raw in chain.state.items_with_prefix(b"governance/")
    }
    record = state.get("authorities", {"current": [], "pending": None, "effective_height": 0})
    view = Table(title=f"governance at height {chain.height}")
    view.add_column("item")
    view.add_column("value")
    view.add_row("authorities", ", ".join(m["id"] for m in record["current"]))
    if record["pending"] is not None:
        pending = ", ".join(m["id"] for m in record["pending"])
        view.add_row(f"pending (from block {record['effective_height']})", pending)
    draw = state.get("draw")
    if draw is not None:
        view.add_row(
            "open draw",
            f"#{draw['number']} {draw['kind']}, {draw['state']}, closes at block "
            f"{draw['close']}, reveal by block {draw['deadline']}",
        )
    min_score = chain.params.get("min_credit_score", DEFAULT_PARAMS["min_credit_score"])
    eligible = {c: v for c, v in chain_candidates(chain).items() if v >= min_score}
    view.add_row(
        f"candidates (C_i >= {min_score})", ", ".join(f"{c} {v}" for c, v in eligible.items())
    )
    for key, value in state.items():
        if key.startswith("excluded/"):
            view.add_row(f"excluded {key.removeprefix('excluded/')}", f"{value['reason']}")
        elif key.startswith("missed/"):
            view.add_row(f"missed rounds {key.removeprefix('missed/')}", str(value))
    console.print(view)


@app.command()
def draw(
    sender: Annotated[
        str,
        typer.Option(
            parser=participant, help="The committer: the regulator or a sitting authority."
        ),
    ] = "regulator",
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """As a committer (the regulator or a sitting authority): queue the commitment or the
    reveal that the open draw needs now.

    Seeds are kept in ``<home>/draw-seeds/<sender>.json`` (mode 0600) between the two steps
    (the node keeps the same file); run once while the draw is open (before its closing
    block) and once after it closes (authorities: after the regulator's reveal)."""
    from glassledger.node.regulator import DrawSeeds
    from glassledger.node.submit import queue_call

    h = Home(home)
    try:
        chain = h.open_chain()
        keys = h.load_keys(sender)
        record = chain.state.get(f"identity/p/{sender}".encode())
        roles = [] if record is None else msgspec.msgpack.decode(record)["roles"]
        seeds = DrawSeeds(
            h.draw_seed_file(sender), participant=sender, regulator="regulator" in roles
        )
        calls = seeds.due(chain.state, chain.height + 1)
    except GlassledgerError as exc:
        refuse(exc)
    if not calls:
        console.print(
            f"nothing due for block {chain.height + 1}: see `glassledger governance status`"
        )
        return
    chain.store.close()
    for method, args in calls:
        try:
            nonce = queue_call(h, keys, NAME, method, args).nonce
        except GlassledgerError as exc:
            refuse(exc)
        console.print(f"queued governance.{method} for draw {args['draw']} (nonce {nonce})")
