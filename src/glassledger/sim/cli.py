"""``glassledger scenario run|list|sweep`` and ``glassledger report RUN``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from glassledger.errors import InputError
from glassledger.options import address, existing_dir, new_dir, out_file

app = typer.Typer(help="Stress scenarios through the real contracts (seeds 000-004).")
console = Console()


@app.command("list")
def list_() -> None:
    """List the shipped scenarios."""
    from glassledger.sim.scenario import load_scenario, shipped_names

    table = Table("name", "kind", "seed", "description")
    for name in shipped_names():
        scenario, _ = load_scenario(name)
        table.add_row(name, scenario.kind, scenario.seed_source, scenario.description)
    console.print(table)


@app.command("run")
def run(
    source: Annotated[str, typer.Argument(help="A scenario YAML file or a shipped name.")],
    seed: Annotated[int | None, typer.Option(help="Seed (default: the file's).")] = None,
    out: Annotated[
        Path | None, typer.Option(parser=new_dir, help="Run directory (default: runs/NAME-SEED).")
    ] = None,
    report: Annotated[bool, typer.Option(help="Also write report.html in the run.")] = True,
) -> None:
    """Run a scenario on the real chain; save its tables (Parquet) and figures."""
    from glassledger.sim.engine import run_scenario
    from glassledger.sim.report import summary_lines, write_report
    from glassledger.sim.scenario import load_scenario

    scenario, text = load_scenario(source)
    result = run_scenario(scenario, text, seed=seed, progress=True)
    where = result.save(out or Path("runs") / f"{scenario.name}-{result.seed}")
    for line in summary_lines(result):
        console.print(line, markup=False)
    console.print(f"run saved in {where}")
    if report:
        console.print(f"report: {write_report(result, where / 'report.html')}")


def _parameters(values: list[str]) -> dict[str, list]:
    out: dict[str, list] = {}
    for item in values:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise InputError(
                f"--param {item!r}: expected PATH=V1,V2,... (e.g. monitor.threshold_bps=500,1000)"
            )
        out[path] = [yaml.safe_load(v) for v in raw.split(",")]
    return out


@app.command("sweep")
def sweep(
    source: Annotated[str, typer.Argument(help="A scenario YAML file or a shipped name.")],
    seeds: Annotated[
        int, typer.Option(help="Number of seeds (first-seed, first-seed+1, ...).")
    ] = 4,
    first_seed: Annotated[int, typer.Option(help="First seed.")] = 0,
    param: Annotated[
        list[str] | None, typer.Option(help="PATH=V1,V2,...: a scenario field to vary.")
    ] = None,
    address: Annotated[
        str | None, typer.Option(parser=address, help="Dask scheduler (default: local).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Local workers.")] = 2,
    out: Annotated[Path, typer.Option(parser=out_file, help="Parquet file of the results.")] = Path(
        "sweep.parquet"
    ),
) -> None:
    """Run a scenario over many seeds and parameter values on Dask; one results table."""
    from glassledger.sim.scenario import load_scenario
    from glassledger.sim.sweep import sweep as run_sweep

    scenario, text = load_scenario(source)
    parameters = _parameters(param or [])
    with Progress(
        TextColumn("sweep"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("sweep", total=None)
        table = run_sweep(
            text,
            list(range(first_seed, first_seed + seeds)),
            parameters,
            address=address,
            n_workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out, index=False)
    console.print(table.to_string(max_cols=12), markup=False)
    console.print(f"{len(table)} runs saved in {out}")
    if scenario.kind == "basket_attack" and len(parameters) == 1:
        from glassledger.sim.report import write_sweep_report

        page = write_sweep_report(text, table, next(iter(parameters)), out.with_suffix(".html"))
        console.print(f"threshold report: {page}")
    elif scenario.kind == "market_structure" and parameters:
        from glassledger.sim.report import write_structure_sweep_report

        page = write_structure_sweep_report(
            text, table, next(iter(parameters)), out.with_suffix(".html")
        )
        console.print(f"comparison report: {page}")


def report(
    run_dir: Annotated[
        Path,
        typer.Argument(parser=existing_dir, help="A run directory (glassledger scenario run)."),
    ],
    out: Annotated[
        Path | None, typer.Option(parser=out_file, help="HTML file (default: RUN/report.html).")
    ] = None,
) -> None:
    """Write a self-contained HTML report of a scenario run."""
    from glassledger.sim.engine import RunResult
    from glassledger.sim.report import write_report

    result = RunResult.load(run_dir)
    console.print(f"report: {write_report(result, out or run_dir / 'report.html')}")
