"""``glassledger liquidity``: indicators from data, corridor simulations and sweeps."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from glassledger.errors import ConfigError, GlassledgerError
from glassledger.options import address, in_file, iso_date, new_dir, out_file, refuse
from glassledger.schemas import options_error

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Dollar liquidity: corridor indicators, repo-market model, sweeps.",
    no_args_is_help=True,
)
console = Console()


def _day(text: str, option: str) -> pd.Timestamp:
    """An ISO date option (``YYYY-MM-DD``); ``InputError`` naming the option otherwise."""
    try:
        return pd.Timestamp(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError):
        raise options_error("not a date (write YYYY-MM-DD)", option, text) from None


def _check_file(path: Path) -> None:
    from glassledger.errors import InputError

    if not path.is_file():
        raise InputError("file not found", source=str(path), hint="check the path")
    if path.stat().st_size == 0:
        raise InputError("the file is empty", source=path.name, hint="give a header and rows")


def _positive(value: float, option: str, *, most: float | None = None) -> None:
    if not value > 0 or (most is not None and value > most):
        bound = f" and <= {most:g}" if most is not None else ""
        raise options_error(f"must be > 0{bound}", option, value)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


def _fmt(value) -> str:
    if isinstance(value, bool | np.bool_ | str) or value is None:
        return str(bool(value)) if isinstance(value, np.bool_) else str(value)
    return "n/a" if pd.isna(value) else f"{value:,.2f}"


@app.command()
def indicators(
    start: str = typer.Option("2018-04-02", parser=iso_date, help="First day (YYYY-MM-DD)."),
    end: str = typer.Option("2026-06-30", parser=iso_date, help="Last day (YYYY-MM-DD)."),
    out: Path = typer.Option(
        Path("liquidity-out"), parser=new_dir, help="Directory for the PNG and HTML."
    ),
    fetch: bool = typer.Option(
        False, help="Download fresh FRED data (FRED_API_KEY or CSV) and the DTS TGA table."
    ),
    cache_dir: Path | None = typer.Option(None, parser=new_dir, help="Cache for fetched series."),
    srf_file: Path | None = typer.Option(
        None,
        parser=in_file,
        help="SRF take-up: a FRED CSV of RPONTTLD, or date,srf_usd_bn rows (the layout of the "
        "shipped SRF_takeup_reported_2025.csv).",
    ),
    tga_target: float = typer.Option(850.0, help="TGA target, USD bn."),
) -> None:
    """Latest indicators, regime probabilities and alerts as a table, plus charts."""
    from glassledger.liquidity import charts, data
    from glassledger.liquidity import fetch as fetching
    from glassledger.liquidity import indicators as ind

    first, last = _day(start, "--start"), _day(end, "--end")
    if first > last:
        raise options_error(f"--start {start} is after --end {end}", "--start", start)
    if not tga_target >= 0:
        raise options_error("must be >= 0", "--tga-target", tga_target)
    if srf_file is not None:
        _check_file(srf_file)
    try:
        loader = data.load_sample
        if fetch:
            fetcher = fetching.FredFetcher(**({"cache_dir": cache_dir} if cache_dir else {}))
            loader = fetching.with_sample_fallback(fetcher)
        extra = {"srf": data.read_srf_file(srf_file)} if srf_file else None
        tga = None
        if fetch:
            try:
                path = fetching.fetch_dts("operating_cash_balance", start, cache_dir=cache_dir)
                tga = data.read_dts_operating_cash(path)
            except GlassledgerError as exc:
                console.print(f"[yellow]DTS download failed ({exc}); using the sample[/yellow]")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            panel = data.build_panel(start, end, loader=loader, extra=extra, tga_daily=tga)
        for warning in {str(w.message) for w in caught}:
            console.print(f"[yellow]{warning}[/yellow]")
        frame = ind.compute_indicators(panel, tga_target_usd_bn=tga_target)
    except GlassledgerError as exc:
        refuse(exc)
    priced = frame.dropna(subset=["sofr_minus_iorb_bp"])
    if priced.empty:
        raise options_error(
            f"no SOFR/IORB data between {start} and {end}",
            "--start",
            start,
            "SOFR starts on 2018-04-02; choose dates inside the data",
        )
    latest = priced.iloc[-1]
    table = Table(title=f"Dollar liquidity on {latest.name.date()}")
    table.add_column("indicator")
    table.add_column("value", justify="right")
    table.add_column("as of", justify="right")
    for column, value in latest.items():
        # A series never runs past its last observation: a weekly figure published before
        # the latest day is shown with its own date, not as if it were current.
        known = frame.loc[: latest.name, column].dropna()
        if pd.isna(value) and not known.empty:
            table.add_row(column, _fmt(known.iloc[-1]), str(known.index[-1].date()))
        else:
            table.add_row(column, _fmt(value), "")
    console.print(table)
    fired = ind.alerts(frame.loc[[latest.name]])
    for _, alert in fired.iterrows():
        colour = {"critical": "red", "warning": "yellow"}.get(alert["level"], "cyan")
        console.print(f"[{colour}]{alert['level']}[/{colour}] {alert['alert']}: {alert['message']}")
    rates = ind.stress_base_rates(frame)
    base = Table(title="Base rates: SOFR reaches the top of the range within 20 days")
    for col in ("regime", "days", "p_sofr_at_ceiling"):
        base.add_column(col, justify="right")
    for regime, row in rates.iterrows():
        base.add_row(str(regime), f"{row['days']:.0f}", f"{row['p_sofr_at_ceiling']:.2f}")
    console.print(base)
    for path in charts.indicator_charts(frame, out):
        console.print(f"wrote {path}")


@app.command("scenarios")
def list_scenarios() -> None:
    """List the named scenarios."""
    from glassledger.liquidity.model.scenario import SCENARIOS

    for name in SCENARIOS:
        console.print(name)


@app.command()
def simulate(
    scenario: str = typer.Option("baseline", help="Scenario name (see `scenarios`)."),
    years: float = typer.Option(1.0, help="Horizon of projections, years."),
    seed: int = typer.Option(0, help="Random seed."),
    out: Path = typer.Option(
        Path("liquidity-out"), parser=new_dir, help="Directory for charts and CSV."
    ),
) -> None:
    """Run a scenario day by day; summary table, charts and the daily CSV."""
    _positive(years, "--years", most=50.0)
    from glassledger.liquidity import charts
    from glassledger.liquidity.data import load_reported_srf
    from glassledger.liquidity.model import build_scenario
    from glassledger.liquidity.model import simulate as run
    from glassledger.liquidity.model.scenario import sample_panel

    try:
        panel = sample_panel()
        built = build_scenario(scenario, years=years, panel=panel)
    except GlassledgerError as exc:
        refuse(exc)
    with _progress() as progress:
        task = progress.add_task(f"simulating {scenario}", total=len(built.days))
        result = run(
            built, seed=seed, progress=lambda done, total: progress.update(task, completed=done)
        )
    daily = result.daily.copy()
    overlap = panel.reindex(daily.index)
    if overlap["sofr_pct"].notna().any():
        daily["data_sofr_pct"] = overlap["sofr_pct"]
        daily["data_reserves_usd_bn"] = overlap["reserves_usd_bn"]
        daily["reported_srf_usd_bn"] = load_reported_srf().reindex(daily.index)
    table = Table(title=f"{scenario}: {built.description}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in result.summary().items():
        table.add_row(key, _fmt(value))
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"simulate-{scenario}.csv"
    daily.to_csv(csv)
    for path in [
        csv,
        *charts.simulation_charts(daily, out, f"Scenario {scenario}", f"simulate-{scenario}"),
    ]:
        console.print(f"wrote {path}")


@app.command()
def sweep(
    scenario: str = typer.Option("baseline", help="Scenario name."),
    paths: int = typer.Option(100, help="Number of Monte Carlo paths."),
    years: float = typer.Option(1.0, help="Horizon of projections, years."),
    workers: int = typer.Option(2, help="Workers of the local Dask cluster."),
    scheduler: str | None = typer.Option(
        None, parser=address, help="Address of a running Dask scheduler."
    ),
    seed: int = typer.Option(0, help="First seed."),
) -> None:
    """Monte Carlo sweep on Dask: probabilities of SRF use and spread quantiles."""
    _positive(paths, "--paths", most=1_000_000)
    _positive(years, "--years", most=50.0)
    _positive(workers, "--workers", most=256)
    from glassledger.liquidity.model import build_scenario
    from glassledger.liquidity.model.sweep import probabilities
    from glassledger.liquidity.model.sweep import sweep as run_sweep

    try:
        built = build_scenario(scenario, years=years)
    except GlassledgerError as exc:
        refuse(exc)
    with _progress() as progress:
        task = progress.add_task(f"sweeping {scenario}", total=paths)
        result = run_sweep(
            built,
            paths,
            seed=seed,
            address=scheduler,
            n_workers=workers,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    table = Table(title=f"{scenario}: {paths} paths")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in probabilities(result).items():
        table.add_row(key, _fmt(value))
    console.print(table)


@app.command()
def ledger(
    scenario: str = typer.Option(
        "sept-2019", help="Corridor-model scenario (see `scenarios`), or `data` for the sample."
    ),
    start: str | None = typer.Option(
        None, parser=iso_date, help="First day (default: the scenario's first)."
    ),
    days: int = typer.Option(130, help="Business days to publish to the ledger."),
    years: float = typer.Option(1.0, help="Horizon of model projections, years."),
    seed: int = typer.Option(0, help="Random seed of the model run."),
    store: Path | None = typer.Option(
        None, parser=out_file, help="Keep the chain in a new SQLite file here."
    ),
    out: Path = typer.Option(
        Path("liquidity-out"), parser=new_dir, help="Directory for charts and CSV."
    ),
) -> None:
    """Publish a corridor day by day to a basket-coin ledger; the reserve's yield beside SOFR."""
    _positive(days, "--days", most=100_000)
    _positive(years, "--years", most=50.0)
    if start is not None:
        _day(start, "--start")
    from glassledger.liquidity import charts, data
    from glassledger.liquidity.interfaces import DataRateSource, SimulatedRateSource
    from glassledger.liquidity.ledger_scenario import run_parallel_dollar
    from glassledger.liquidity.model import build_scenario
    from glassledger.liquidity.model import simulate as run
    from glassledger.liquidity.model.scenario import sample_panel

    try:
        if store is not None and store.exists():
            raise ConfigError(f"{store} exists; the run creates a new chain")
        panel = sample_panel()
        if scenario == "data":
            source = DataRateSource(panel)
            first = pd.Timestamp(start or "2019-07-01")
        else:
            built = build_scenario(scenario, years=years, panel=panel)
            with _progress() as progress:
                task = progress.add_task(f"corridor model {scenario}", total=len(built.days))
                result = run(
                    built,
                    seed=seed,
                    progress=lambda done, total: progress.update(task, completed=done),
                )
            source = SimulatedRateSource(result.daily)
            first = pd.Timestamp(start or built.days[0])
        last = data.next_us_business_days(first, days)[-1]
        with _progress() as progress:
            task = progress.add_task("publishing to the ledger", total=days)
            ledger_run = run_parallel_dollar(
                source,
                first,
                last,
                path=store,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except GlassledgerError as exc:
        refuse(exc)
    table = ledger_run.table
    shown = Table(title=f"{scenario}: basket reserve (USD sleeve) beside SOFR, percent")
    columns = {
        "sofr_pct": "SOFR",
        "iorb_pct": "IORB",
        "bill_pct": "bill",
        "deposit_pct": "deposit",
        "basket_reserve_pct": "reserve yield",
        "basket_reserve_minus_sofr_bp": "reserve - SOFR (bp)",
    }
    shown.add_column("date")
    for header in columns.values():
        shown.add_column(header, justify="right")
    peak = table["sofr_pct"].idxmax()
    picks = sorted(
        {table.index[0], peak, *table.index[:: max(len(table) // 8, 1)], table.index[-1]}
    )
    for date in picks:
        shown.add_row(str(date.date()), *(_fmt(table.at[date, c]) for c in columns))
    console.print(shown)
    console.print(
        f"{ledger_run.ledger.height} blocks, state root {ledger_run.state_root.hex()[:16]}"
    )
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"ledger-{scenario}.csv"
    table.to_csv(csv)
    title = f"Scenario {scenario}: the corridor on the ledger"
    for path in [csv, *charts.ledger_charts(table, out, title, f"ledger-{scenario}")]:
        console.print(f"wrote {path}")
