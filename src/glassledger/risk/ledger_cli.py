"""Risk read off the ledger: ``glassledger risk exposures`` and ``glassledger risk monitor``.

Both read a node home at a block height (default: the head) and never write state except
``monitor --submit``, which sends the warnings as a transaction signed by the regulator:
one sealed envelope per monitored institution, readable only by it and the regulator.
``monitor --read --as <id>`` opens the warnings sealed to ``<id>`` with its key from the home.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from glassledger.errors import GlassledgerError
from glassledger.node.home import Home
from glassledger.options import DEFAULT_HOME, HomeOption, out_file, participant, refuse
from glassledger.tables import write_table

console = Console()

HeightOption = Annotated[int | None, typer.Option(help="Block height (default: the head).")]


def _frame_table(frame, title: str, columns: list[str]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if frame[column].dtype.kind in "fi" else "left")
    for row in frame[columns].itertuples(index=False):
        table.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
    return table


def exposures(
    home: HomeOption = DEFAULT_HOME,
    height: HeightOption = None,
    out: Annotated[
        Path | None, typer.Option(parser=out_file, help="Write the table (.csv/.parquet).")
    ] = None,
) -> None:
    """SA-CCR EAD and expected loss of every netting set on the ledger at a height."""
    from glassledger.risk.service import risk_at

    try:
        chain = Home(home).open_chain()
        h = chain.height if height is None else height
        frame = risk_at(chain.store, h)
        if out is not None:
            write_table(frame, out)
    except GlassledgerError as exc:
        refuse(exc)
    columns = ["netting_set", "party", "counterparty", "RC", "PFE", "EAD", "pd", "el"]
    console.print(_frame_table(frame, f"exposures at height {h}", columns))


def monitor(
    home: HomeOption = DEFAULT_HOME,
    height: HeightOption = None,
    threshold: Annotated[
        float | None, typer.Option(help="dr alert threshold (ratio); default: on-ledger value.")
    ] = None,
    submit: Annotated[
        bool, typer.Option(help="Send the warnings to the ledger as the regulator.")
    ] = False,
    regulator: Annotated[
        str, typer.Option(parser=participant, help="Regulator participant id.")
    ] = "regulator",
    read: Annotated[
        bool, typer.Option(help="Open the warnings sealed to --as (needs its key in the home).")
    ] = False,
    reader: Annotated[
        str | None,
        typer.Option(
            "--as", parser=participant, help="Participant reading its warnings (with --read)."
        ),
    ] = None,
) -> None:
    """Seed 003's early warning on the ledger's exposures: dr_j per institution, the flagged
    set and the cascade; with --submit, warnings go on the ledger sealed so that only each
    institution (and the regulator) can read its own; with --read --as ID, ID reads them."""
    from glassledger.node.submit import queue_call
    from glassledger.risk.contagion.ledger_feed import warning_args, warnings_at

    h_home = Home(home)
    if read:
        _read_warnings(h_home, reader or regulator)
        return
    try:
        chain = h_home.open_chain()
        h = chain.height if height is None else height
        result = warnings_at(chain.store, h, threshold)
    except GlassledgerError as exc:
        refuse(exc)
    dr = result.dr.rename("dr").reset_index().rename(columns={"index": "institution"})
    dr.columns = ["institution", "dr"]
    console.print(
        _frame_table(dr, f"default-risk coefficients at height {h}", ["institution", "dr"])
    )
    table = result.table()
    if table.empty:
        console.print(f"no institution above the threshold {result.alert_threshold:g}")
        return
    console.print(_frame_table(table, "warnings", ["institution", "round", "dr", "reason"]))
    if submit:
        try:
            keys = h_home.load_keys(regulator)
            args = warning_args(result, h, chain.state.data, regulator)
        except GlassledgerError as exc:
            refuse(exc)
        try:  # the sender's next free nonce, chosen under the inbox's write lock
            queued = queue_call(h_home, keys, "monitor", "warn", args)
        except GlassledgerError as exc:
            refuse(exc)
        console.print(
            f"queued {len(args['envelopes'])} sealed warnings as {queued.hash.hex()} "
            "(one per monitored institution; only it and the regulator can read each)"
        )


def _read_warnings(home: Home, participant: str) -> None:
    """Print the warnings sealed to ``participant``, opened with its key from ``home``."""
    from glassledger.risk.contagion.ledger_feed import read_warnings

    try:
        keys = home.load_keys(participant)
        chain = home.open_chain()
        opened = read_warnings(chain.store, participant, keys)
    except GlassledgerError as exc:
        refuse(exc)
    if not opened:
        console.print(f"no warning envelope sealed to {participant!r}")
        return
    table = Table(title=f"warnings sealed to {participant}")
    for column in (
        "block",
        "analysis height",
        "institution",
        "warned",
        "round",
        "dr_bps",
        "reason",
    ):
        table.add_column(column)
    for item in opened:
        table.add_row(
            str(item["block"]),
            str(item["height"]),
            item["institution"],
            "yes" if item["warned"] else "no",
            str(item["round"]) if item["warned"] else "",
            str(item["dr_bps"]) if item["warned"] else "",
            item["reason"],
        )
    console.print(table)
