"""``glassledger risk contagion``: the seed's cascade, early warnings, DebtRank and clearing
on exposure files.

Exposure files have creditors (lenders) first: an edge list ``creditor, debtor, ead, lgd``
(CSV or Parquet) or, with ``--matrix``, a square matrix with creditors as rows. Capital is a
table ``institution, capital``; the optional balance sheet for clearing a table
``institution, external_assets, external_liabilities``. Amounts in one currency's units.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from glassledger.options import node_home, out_file
from glassledger.tables import write_table

ROWS_SHOWN = 40


def contagion(
    exposures: Path | None = typer.Argument(
        None, help="edge list creditor,debtor,ead,lgd (.csv/.parquet); or use --home"
    ),
    capital: Path | None = typer.Option(
        None, "--capital", "-c", help="table institution,capital (files only)"
    ),
    home: Path | None = typer.Option(
        None,
        "--home",
        parser=node_home,
        help="read exposures and capital off this node home's ledger instead",
    ),
    height: int | None = typer.Option(None, "--height", help="ledger height (default: head)"),
    matrix: bool = typer.Option(False, "--matrix", help="EXPOSURES is a matrix, creditors as rows"),
    lgd: float = typer.Option(
        1.0, "--lgd", min=0.0, max=1.0, help="LGD where the file has none (decimal)"
    ),
    default: list[str] = typer.Option(
        [], "--default", "-d", help="an initially defaulted institution (repeatable)"
    ),
    alert: float | None = typer.Option(
        None, "--alert", help="early warning: flag dr_j = exposure / capital above this ratio"
    ),
    loss_weighted: bool = typer.Option(False, "--loss-weighted", help="dr_j with EAD x LGD"),
    floor: float = typer.Option(
        0.0,
        "--floor",
        min=0.0,
        max=0.999999,
        help="default when capital falls below this fraction of initial capital",
    ),
    threshold: float | None = typer.Option(
        None,
        "--threshold",
        help="absolute rule instead of --floor: default when remaining capital falls below "
        "this amount (currency units)",
    ),
    rank: bool = typer.Option(False, "--rank", help="systemic importance of every institution"),
    attribution: bool = typer.Option(
        False, "--attribution", help="list whose default caused which loss"
    ),
    debtrank: bool = typer.Option(
        False, "--debtrank", help="DebtRank (original and differential) of the --default set"
    ),
    shock: float = typer.Option(
        1.0,
        "--shock",
        min=0.0,
        max=1.0,
        help="DebtRank: initial relative equity loss h(1) of the --default institutions",
    ),
    weights: str = typer.Option(
        "capital",
        "--weights",
        help="DebtRank: economic weights v, capital (shares of capital), assets (shares of "
        "interbank assets) or equal",
    ),
    clearing: Path | None = typer.Option(
        None,
        "--clearing",
        help="Eisenberg-Noe clearing with this table institution,external_assets,"
        "external_liabilities (exposures read as debts: debtor owes creditor the EAD)",
    ),
    alpha: float = typer.Option(
        1.0, "--alpha", min=0.0, max=1.0, help="Rogers-Veraart: external assets kept"
    ),
    beta: float = typer.Option(
        1.0, "--beta", min=0.0, max=1.0, help="Rogers-Veraart: interbank assets kept"
    ),
    png: Path | None = typer.Option(
        None, "--png", parser=out_file, help="write the cascade picture (PNG)"
    ),
    html: Path | None = typer.Option(
        None, "--html", parser=out_file, help="write the interactive picture (HTML)"
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        parser=out_file,
        help="write the table of the analysis to .csv/.parquet: losses per round (--default, "
        "--alert), the clearing (--clearing) or the ranking (--rank)",
    ),
) -> None:
    """Default cascade D_k(A) per round, dr_j early warnings, DebtRank, clearing and systemic
    importance. With none of --default, --alert, --rank and --clearing: --rank."""
    from glassledger.risk.contagion import ExposureNetwork, cascade, early_warning
    from glassledger.schemas import options_error

    console = Console()
    if not default and alert is None and not rank and clearing is None:
        rank = True
    if debtrank and not default:
        raise typer.BadParameter("--debtrank needs --default (the shocked institutions)")
    if weights not in ("capital", "assets", "equal"):
        raise options_error("must be capital, assets or equal", "--weights", weights)
    if threshold is not None and floor != 0.0:
        raise options_error("give --floor or --threshold, not both", "--threshold", threshold)
    if alert is not None and not alert >= 0:
        raise options_error("must be >= 0", "--alert", alert)
    # --out writes one table: the cascade's if there is one, else the clearing's, else the
    # ranking's; the message says which.
    cascade_out = bool(default or alert is not None)
    rules = {"capital_floor": floor, "default_threshold": threshold}
    if (home is None) == (exposures is None):
        raise typer.BadParameter("give either an EXPOSURES file (with --capital) or --home")
    if exposures is not None and capital is None:
        raise typer.BadParameter("--capital is required with an exposures file")
    if home is not None:
        network = _ledger_network(console, home, height)
    elif matrix:
        network = ExposureNetwork.read_matrix(exposures, capital, lgd=lgd)
    else:
        network = ExposureNetwork.read_edges(exposures, capital, default_lgd=lgd)
    names = {str(name): name for name in network.names}
    result = warning = None
    if default:
        unknown = [name for name in default if name not in names]
        if unknown:
            raise options_error("unknown institution", "--default", unknown[0])
        result = cascade(network, [names[name] for name in default], **rules)
        _print_cascade(console, result, "Cascade from " + ", ".join(default))
        if attribution:
            _print_attribution(console, result)
        if debtrank:
            _print_debtrank(console, network, [names[name] for name in default], shock, weights)
    if alert is not None:
        warning = early_warning(network, alert, loss_weighted=loss_weighted, **rules)
        _print_warning(console, warning)
    if rank:
        ranking = _print_ranking(console, network, rules)
        if out is not None and not cascade_out and clearing is None:
            write_table(ranking.reset_index(names="institution"), out)
            console.print(f"wrote {out} (systemic importance ranking)")
    if clearing is not None:
        cleared = _print_clearing(console, network, clearing, alpha, beta)
        if out is not None and not cascade_out:
            write_table(cleared.reset_index(names="institution"), out)
            console.print(f"wrote {out} (clearing: payments and defaults)")
    shown = result if result is not None else warning.cascade if warning else None
    if shown is None:
        return
    warned = warning.warned if warning is not None else ()
    if png or html:
        from glassledger.risk.contagion.plot import cascade_html, cascade_png

        if png:
            console.print(f"wrote {cascade_png(shown, png, warned=warned)}")
        if html:
            console.print(f"wrote {cascade_html(shown, html, warned=warned)}")
    if out:
        write_table(shown.losses_by_round(), out)
        console.print(f"wrote {out} (losses per round)")


def _ledger_network(console: Console, home: Path, height: int | None):
    """The exposure network of a node home at ``height`` (see ``ledger_feed``)."""
    from glassledger.node.home import Home
    from glassledger.risk.contagion.ledger_feed import network_at

    chain = Home(home).open_chain()
    ledger = network_at(chain.store, chain.height if height is None else height)
    console.print(
        f"ledger exposures at height {ledger.height}: {ledger.network.size} institutions, "
        f"{len(ledger.edges)} creditor-debtor pairs"
    )
    if ledger.missing_capital:
        console.print(
            "[yellow]no capital on the ledger (monitor.set_capital) for:[/yellow] "
            + ", ".join(ledger.missing_capital)
            + " — left out with their exposures"
        )
    return ledger.network


def _print_cascade(console: Console, result, title: str) -> None:
    table = Table(title=title)
    for column in ("round", "new defaults", "institutions", "loss booked"):
        table.add_column(column, justify="left" if column == "institutions" else "right")
    by_round = result.defaults_by_round()
    for row in result.summary().itertuples(index=False):
        names = by_round.get(row.round, [])
        table.add_row(
            str(row.round),
            str(row.new_defaults),
            ", ".join(map(str, names[:12])) + (" ..." if len(names) > 12 else ""),
            f"{row.loss:,.2f}",
        )
    console.print(table)
    losses = result.losses_by_round()
    detail = Table(title="Losses per institution per round")
    for column in ("round", "institution", "loss", "cumulative", "remaining capital", "default"):
        detail.add_column(column, justify="left" if column == "institution" else "right")
    for row in losses.head(ROWS_SHOWN).itertuples(index=False):
        detail.add_row(
            str(row.round),
            str(row.institution),
            f"{row.loss:,.2f}",
            f"{row.cumulative_loss:,.2f}",
            f"{row.remaining_capital:,.2f}",
            "yes" if row.defaulted else "",
        )
    console.print(detail)
    if len(losses) > ROWS_SHOWN:
        console.print(f"... {len(losses) - ROWS_SHOWN} more rows (use --out)")
    console.print(
        f"defaults: {result.defaulted_count}, rounds: {result.rounds}, "
        f"total loss: {result.total_loss:,.2f}"
    )


def _print_attribution(console: Console, result) -> None:
    table = Table(title="Attribution: creditor's loss on a defaulted debtor")
    for column in ("round", "creditor", "debtor (defaulted)", "loss"):
        table.add_column(column, justify="right" if column in ("round", "loss") else "left")
    frame = result.attribution()
    for row in frame.head(ROWS_SHOWN).itertuples(index=False):
        table.add_row(str(row.round), str(row.creditor), str(row.debtor), f"{row.loss:,.2f}")
    console.print(table)
    if len(frame) > ROWS_SHOWN:
        console.print(f"... {len(frame) - ROWS_SHOWN} more rows")


def _debtrank_weights(network, weights: str):
    """Economic weights v of DebtRank by name: capital shares (None: the default), shares of
    interbank assets (each institution's total exposure), or equal weights."""
    import numpy as np

    if weights == "assets":
        return network.total_exposure()
    if weights == "equal":
        return np.ones(network.size)
    return None


def _print_debtrank(console: Console, network, shocked: list, h1: float, weights: str) -> None:
    from glassledger.risk.contagion.debtrank import debtrank

    shock = dict.fromkeys(shocked, h1)
    v = _debtrank_weights(network, weights)
    results = {
        method: debtrank(network, shock, method=method, weights=v)
        for method in ("battiston", "differential")
    }
    table = Table(title=f"DebtRank of the default set (h(1) = {h1:g}, weights: {weights})")
    for column in ("method", "DebtRank R", "relative equity loss", "h = 1 (defaults)", "steps"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for method, result in results.items():
        table.add_row(
            method,
            f"{result.debtrank:.4f}",
            f"{result.total_relative_loss:.4f}",
            str(len(result.defaults)),
            str(result.iterations),
        )
    console.print(table)
    frame = pd.DataFrame({m: r.final for m, r in results.items()}, index=network.names)
    frame = frame.sort_values("differential", ascending=False).head(ROWS_SHOWN // 2)
    detail = Table(title="Most distressed institutions (relative equity loss h)")
    for column in ("institution", "battiston", "differential"):
        detail.add_column(column, justify="left" if column == "institution" else "right")
    for name, row in frame.iterrows():
        detail.add_row(str(name), f"{row['battiston']:.4f}", f"{row['differential']:.4f}")
    console.print(detail)


def _print_clearing(console: Console, network, sheet_path: Path, alpha: float, beta: float):
    from glassledger.errors import InputError
    from glassledger.risk.contagion.eisenberg_noe import clear, liabilities_of
    from glassledger.schemas import read
    from glassledger.schemas.contagion import BALANCE_SHEET

    by_name = read(sheet_path, BALANCE_SHEET).set_index("institution")
    absent = [str(name) for name in network.names if str(name) not in by_name.index]
    if absent:
        raise InputError(
            "institution has no balance-sheet row",
            source=sheet_path.name,
            row=absent[0],
            hint="add a row for every institution of the exposures",
        )
    rows = by_name.loc[[str(name) for name in network.names]]
    result = clear(
        liabilities_of(network),
        rows["external_assets"].to_numpy(dtype=float),
        rows["external_liabilities"].to_numpy(dtype=float),
        alpha=alpha,
        beta=beta,
        names=network.names,
    )
    model = "Eisenberg-Noe" if alpha == beta == 1.0 else f"Rogers-Veraart (a={alpha}, b={beta})"
    table = Table(title=f"{model} clearing: order of defaults")
    for column in ("wave", "institutions"):
        table.add_column(column, justify="right" if column == "wave" else "left")
    for wave, names in result.order_of_defaults().items():
        table.add_row(
            str(wave), ", ".join(map(str, names[:12])) + (" ..." if len(names) > 12 else "")
        )
    console.print(table)
    frame = result.table()
    frame = frame[frame["defaulted"]].sort_values("recovery_rate").head(ROWS_SHOWN)
    detail = Table(title="Defaulted institutions: payments")
    for column in ("institution", "wave", "obligation", "payment", "recovery"):
        detail.add_column(column, justify="left" if column == "institution" else "right")
    for name, row in frame.iterrows():
        detail.add_row(
            str(name),
            str(row["wave"]),
            f"{row['obligation']:,.2f}",
            f"{row['payment']:,.2f}",
            f"{row['recovery_rate']:.4f}",
        )
    console.print(detail)
    console.print(
        f"defaults: {int(result.defaulted.sum())} in {result.waves} wave(s), "
        f"shortfall: {result.total_shortfall:,.2f}"
    )
    return result.table()


def _print_warning(console: Console, warning) -> None:
    table = Table(title=f"Early warnings (dr_j > {warning.alert_threshold:g})")
    for column in ("institution", "round", "dr", "reason"):
        table.add_column(column, justify="right" if column in ("round", "dr") else "left")
    frame = warning.table()
    for row in frame.head(ROWS_SHOWN).itertuples(index=False):
        table.add_row(str(row.institution), str(row.round), f"{row.dr:,.3f}", row.reason)
    console.print(table)
    if frame.empty:
        console.print("no institution above the alert threshold: no warnings")
    elif len(frame) > ROWS_SHOWN:
        console.print(f"... {len(frame) - ROWS_SHOWN} more warnings")


def _print_ranking(console: Console, network, rules: dict) -> pd.DataFrame:
    from glassledger.risk.contagion.ranking import systemic_importance

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("systemic importance", total=network.size)
        ranking = systemic_importance(
            network,
            **rules,
            progress=lambda done: progress.update(task, completed=done),
        )
    table = Table(title="Systemic importance (loss caused by a sole default)")
    for column in ("rank", "institution", "loss caused", "further defaults"):
        table.add_column(column, justify="left" if column == "institution" else "right")
    for row in ranking.head(20).itertuples():
        table.add_row(
            str(row.rank), str(row.Index), f"{row.loss_caused:,.2f}", str(row.further_defaults)
        )
    console.print(table)
    return ranking
