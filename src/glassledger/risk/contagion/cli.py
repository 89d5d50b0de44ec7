"""``glassledger risk contagion``: the seed's cascade and early warning on exposure files.

Exposure files have creditors (lenders) first: an edge list ``creditor, debtor, ead, lgd``
(CSV or Parquet) or, with ``--matrix``, a square matrix with creditors as rows. Capital is a
table ``institution, capital``. Amounts in one currency's units.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from glassledger.errors import GlassledgerError

ROWS_SHOWN = 40


def contagion(
    exposures: Path = typer.Argument(..., help="edge list creditor,debtor,ead,lgd (.csv/.parquet)"),
    capital: Path = typer.Option(..., "--capital", "-c", help="table institution,capital"),
    matrix: bool = typer.Option(False, "--matrix", help="EXPOSURES is a matrix, creditors as rows"),
    lgd: float = typer.Option(1.0, "--lgd", help="LGD where the file has none (decimal)"),
    default: list[str] = typer.Option(
        [], "--default", "-d", help="an initially defaulted institution (repeatable)"
    ),
    alert: float | None = typer.Option(
        None, "--alert", help="early warning: flag dr_j = exposure / capital above this ratio"
    ),
    loss_weighted: bool = typer.Option(False, "--loss-weighted", help="dr_j with EAD x LGD"),
    floor: float = typer.Option(
        0.0, "--floor", help="default when capital falls below this fraction of initial capital"
    ),
    rank: bool = typer.Option(False, "--rank", help="systemic importance of every institution"),
    attribution: bool = typer.Option(
        False, "--attribution", help="list whose default caused which loss"
    ),
    png: Path | None = typer.Option(None, "--png", help="write the cascade picture (PNG)"),
    html: Path | None = typer.Option(None, "--html", help="write the interactive picture (HTML)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="losses per round to .csv/.parquet"),
) -> None:
    """Default cascade D_k(A) per round, dr_j early warnings and systemic importance."""
    from glassledger.risk.contagion import ExposureNetwork, cascade, early_warning

    console = Console()
    if not default and alert is None and not rank:
        raise typer.BadParameter("give --default, --alert and/or --rank")
    try:
        network = (
            ExposureNetwork.read_matrix(exposures, capital, lgd=lgd)
            if matrix
            else ExposureNetwork.read_edges(exposures, capital, default_lgd=lgd)
        )
        names = {str(name): name for name in network.names}
        result = warning = None
        if default:
            unknown = [name for name in default if name not in names]
            if unknown:
                raise typer.BadParameter(f"unknown institution(s) {unknown}")
            result = cascade(network, [names[name] for name in default], capital_floor=floor)
            _print_cascade(console, result, "Cascade from " + ", ".join(default))
            if attribution:
                _print_attribution(console, result)
        if alert is not None:
            warning = early_warning(
                network, alert, loss_weighted=loss_weighted, capital_floor=floor
            )
            _print_warning(console, warning)
        if rank:
            _print_ranking(console, network, floor)
    except GlassledgerError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
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
        _write(shown.losses_by_round(), out)
        console.print(f"wrote {out}")


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


def _print_ranking(console: Console, network, floor: float) -> None:
    from glassledger.risk.contagion.ranking import systemic_importance

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("systemic importance", total=network.size)
        ranking = systemic_importance(
            network,
            capital_floor=floor,
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


def _write(frame: pd.DataFrame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    elif suffix in (".parquet", ".pq"):
        frame.to_parquet(out, index=False)
    else:
        raise typer.BadParameter(f"--out must end in .csv or .parquet, got {out.name!r}")
