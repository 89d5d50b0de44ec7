"""``glassledger repository``: the trade repository off a node home, at any block height.

* ``export``: CFTC Part 45 or EMIR Refit trade, valuation and margin reports generated from
  the ledger's events (CSV files or one JSON file);
* ``report --as PARTY``: the report PARTY files from its own books (here: the events it can
  read on the ledger), in the ``dealer_report`` format;
* ``attest --as PARTY --report FILE``: queue ``repository.attest`` signed by PARTY with the
  hash of every row of its report (``--seal``: the report itself sealed to the regulator);
* ``reconcile``: every missing, late or mismatching report (``--report FILE``: field by
  field; ``--sealed``: from the reports sealed to the regulator, with its key in the home).

Bad input (a malformed report file, an unknown party, a height not stored) ends in the one
error boundary of :mod:`glassledger.cli`: one line, exit code 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from glassledger.node.home import Home
from glassledger.options import DEFAULT_HOME, HomeOption, in_file, out_file, out_path, participant
from glassledger.schemas import options_error

app = typer.Typer(
    no_args_is_help=True,
    help="Trade repository: regulatory reports (CFTC Part 45, EMIR Refit) and reconciliation "
    "of counterparties' reports against the ledger.",
)
console = Console()

HeightOption = Annotated[int | None, typer.Option(help="Block height (default: the head).")]


def _view(home: Path, height: int | None):
    from glassledger.reporting.ledger import repository_at

    chain = Home(home).open_chain()
    try:
        return repository_at(chain.store, height)
    finally:
        chain.store.close()


def _party(view, party: str, option: str) -> str:
    from glassledger.reporting.ledger import participants

    if party not in participants(view.state):
        raise options_error(f"no participant {party!r} on the ledger", option, party)
    return party


def write_export(
    frames: dict[str, pd.DataFrame], regime: str, height: int, out: Path
) -> list[Path]:
    """Write the reports: ``out`` ending in ``.json`` -> one JSON file
    ``{"regime", "height", "reports": {name: [row, ...]}}``; otherwise ``out`` is a
    directory that receives ``<regime>_<report>.csv`` per report."""
    if out.suffix == ".json":
        out.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "regime": regime,
            "height": height,
            "reports": {n: f.to_dict(orient="records") for n, f in frames.items()},
            "columns": {n: list(f.columns) for n, f in frames.items()},
        }
        out.write_text(json.dumps(body, indent=1))
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        path = out / f"{regime}_{name}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def read_export(path: Path) -> dict[str, pd.DataFrame]:
    """The frames :func:`write_export` wrote (a JSON file, or a directory of CSV files)."""
    if path.suffix == ".json":
        body = json.loads(path.read_text())
        return {
            n: pd.DataFrame(rows, columns=body["columns"][n], dtype=object)
            for n, rows in body["reports"].items()
        }
    return {
        p.stem.split("_", 1)[1]: pd.read_csv(p, dtype=str, keep_default_na=False).astype(object)
        for p in sorted(path.glob("*_*.csv"))
    }


@app.command()
def export(
    home: HomeOption = DEFAULT_HOME,
    height: HeightOption = None,
    regime: Annotated[str, typer.Option(help="cftc (Part 45) or emir (EMIR Refit).")] = "cftc",
    out: Annotated[
        Path, typer.Option(parser=out_path, help="A directory for CSV files, or a .json file.")
    ] = Path("repository-export"),
) -> None:
    """Generate the trade, valuation and margin reports from the ledger's events."""
    from glassledger.reporting.fields import REGIMES, report_frames

    if regime not in REGIMES:
        raise options_error(f"regime must be one of {', '.join(REGIMES)}", "--regime", regime)
    view = _view(home, height)
    frames = report_frames(view, regime)
    paths = write_export(frames, regime, view.height, out)
    table = Table(title=f"{regime} reports at height {view.height}")
    table.add_column("report")
    table.add_column("rows", justify="right")
    for name, frame in frames.items():
        table.add_row(name, str(len(frame)))
    console.print(table)
    console.print(
        f"{len(view.events)} repository records; written: {', '.join(str(p) for p in paths)}"
    )


@app.command()
def report(
    party: Annotated[
        str, typer.Option("--as", parser=participant, help="The reporting participant.")
    ],
    home: HomeOption = DEFAULT_HOME,
    height: HeightOption = None,
    out: Annotated[Path, typer.Option(parser=out_file, help="Report file to write (.csv).")] = Path(
        "report.csv"
    ),
) -> None:
    """Write PARTY's own report of its derivative events (the dealer_report table)."""
    from glassledger.reporting.reconcile import own_report

    view = _view(home, height)
    frame = own_report(view, _party(view, party, "--as"))
    frame.to_csv(out, index=False)
    console.print(f"{len(frame)} events of {party} at height {view.height} written to {out}")


@app.command()
def attest(
    party: Annotated[
        str, typer.Option("--as", parser=participant, help="The reporting participant (signs).")
    ],
    report_file: Annotated[
        Path, typer.Option("--report", parser=in_file, help="PARTY's report (.csv).")
    ],
    home: HomeOption = DEFAULT_HOME,
    seal: Annotated[
        bool, typer.Option(help="Send the report itself, sealed to the regulator and PARTY.")
    ] = False,
    regulator: Annotated[
        str, typer.Option(parser=participant, help="Regulator participant id.")
    ] = "regulator",
) -> None:
    """Queue repository.attest signed by PARTY: the hash of every report row."""
    from glassledger.contracts.repository import MAX_ATTEST
    from glassledger.node.submit import queue_call
    from glassledger.reporting.ledger import participants
    from glassledger.reporting.reconcile import attest_items, read_report, seal_report

    h_home = Home(home)
    frame = read_report(report_file)
    keys = h_home.load_keys(party)
    view = _view(home, None)
    ids = participants(view.state)
    _party(view, party, "--as")
    chunk = 40 if seal else MAX_ATTEST
    queued = []
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk].reset_index(drop=True)
        args: dict = {"reports": attest_items(part)}
        if seal:
            recipients = {who: bytes.fromhex(ids[who]["keys"][0]) for who in (party, regulator)}
            args["envelope"] = seal_report(part, party, recipients)
        queued.append(queue_call(h_home, keys, "repository", "attest", args).hash.hex())
    console.print(f"queued {len(queued)} attestation(s) of {len(frame)} reports by {party}")


@app.command()
def reconcile(
    home: HomeOption = DEFAULT_HOME,
    height: HeightOption = None,
    party: Annotated[
        str | None,
        typer.Option(
            parser=participant, help="Reconcile this party's reports (default: reporters)."
        ),
    ] = None,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", parser=in_file, help="The party's report file, field by field."),
    ] = None,
    sealed: Annotated[
        bool, typer.Option(help="Open the reports sealed to the regulator (key in the home).")
    ] = False,
    regulator: Annotated[
        str, typer.Option(parser=participant, help="Regulator participant id.")
    ] = "regulator",
    out: Annotated[
        Path | None, typer.Option(parser=out_file, help="Write the mismatches (.csv).")
    ] = None,
) -> None:
    """List every missing, late or mismatching report against the ledger at a height."""
    from glassledger.reporting.reconcile import read_report, reports_of, sealed_reports
    from glassledger.reporting.reconcile import reconcile as run

    given = read_report(report_file) if report_file is not None else None
    view = _view(home, height)
    if party is not None:
        _party(view, party, "--party")
    if sealed:
        chain = Home(home).open_chain()
        try:
            opened = reports_of(
                view,
                sealed_reports(
                    chain.store, view.height, regulator, Home(home).load_keys(regulator)
                ),
                party,
            )
        finally:
            chain.store.close()
        given = opened if given is None else pd.concat([opened, given], ignore_index=True)
        given = given.drop_duplicates(["subject", "seq"], keep="last").reset_index(drop=True)
    frame = run(view, party, given)
    if out is not None:
        frame.to_csv(out, index=False)
    if frame.empty:
        console.print(
            f"{len(view.events)} repository records at height {view.height}: no mismatches"
        )
        return
    console.print(f"mismatches at height {view.height}:")
    for m in frame.itertuples(index=False):
        what = f"field {m.field}: ledger {m.ledger}, reported {m.reported}" if m.field else ""
        console.print(
            f"  {m.kind}: {m.party} {m.uti or m.subject} #{m.seq} {m.event} {what}{m.detail}",
            soft_wrap=True,
            markup=False,
        )
    counts = frame["kind"].value_counts().to_dict()
    console.print(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
