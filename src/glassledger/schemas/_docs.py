"""``docs/inputs.md`` generated from the declared tables (``python -m glassledger.schemas``);
a test keeps the file equal to this output."""

from __future__ import annotations

from glassledger.schemas import (
    basket,
    contagion,
    credit,
    governance,
    liquidity,
    repository,
    saccr,
)
from glassledger.schemas._core import Table, describe

INTRO = """\
# Inputs: every table glassledger reads

Generated from the schema objects in `glassledger.schemas` by
`python -m glassledger.schemas > docs/inputs.md`; a test keeps this page equal to them. Every
command and every Python function that takes one of these tables checks it with the same
schema (pandera), so the rules below hold everywhere.

## Rules for every table

* **Files**: `.csv` (UTF-8, header on line 1) or `.parquet`. Errors name the file, the line
  (header = line 1), the row's id where it has one, the field, the value, and what to do.
* **Identifiers are text**: `007`, `7` and `07` are three different ids; surrounding spaces
  are removed.
* **Blank is not NaN**: a blank cell takes the column's default (`required` columns have
  none). In a CSV file the text `NaN`, `inf` or `-inf` in a number column is an error, never
  a default. In a DataFrame or Parquet file NaN/None is pandas' blank marker and counts as a
  blank cell; `inf` is always an error.
* **Flags**: `true/false`, `yes/no`, `t/f`, `y/n`, `1/0` in any case (`"False"` is false);
  anything else is an error.
* **Codes** (currencies, asset classes, positions...) are read in upper case.
* **Dates**: ISO `YYYY-MM-DD`. Tables indexed by date or year must be in increasing order,
  each date once.
* **Unknown columns** are refused in strict tables (a misspelt optional column would
  otherwise be ignored); tables marked *open* keep other columns (such as the rest of an
  SA-CCR output).

## Exit codes (every command)

| code | meaning |
|---|---|
| 0 | done |
| 1 | refused: bad input file, option value or command line (one line on stderr) |
| 70 | internal error, a bug: please report it; `glassledger --debug ...` shows the traceback |
"""


def _table_md(table: Table) -> str:
    frame = describe(table)
    lines = [
        f"### {table.name}",
        "",
        table.doc,
        "",
        "*open table: other columns are kept*" if not table.strict or table.pattern else "",
        "",
        "| column | type | default | rules | meaning |",
        "|---|---|---|---|---|",
    ]
    for row in frame.itertuples(index=False):
        cells = [str(v).replace("|", "\\|") for v in row]
        lines.append("| `" + cells[0] + "` | " + " | ".join(cells[1:]) + " |")
    if table.rules:
        lines += ["", "Row rules:", ""]
        lines += [f"* `{rule.field}`: refused when {rule.message}" for rule in table.rules]
    if table.index:
        lines += ["", f"Rows are keyed by `{table.index}` (each once, in increasing order)."]
    return "\n".join(line for line in lines if line is not None) + "\n"


SECTIONS = (
    ("SA-CCR (`glassledger risk saccr`)", saccr),
    ("Expected loss and ratings (`glassledger risk el`, `risk ratings`)", credit),
    ("Contagion (`glassledger risk contagion`)", contagion),
    ("Basket analytics (`glassledger basket ...`)", basket),
    ("Liquidity (`glassledger liquidity ...`)", liquidity),
    ("Governance (`glassledger governance odds`)", governance),
    ("Trade repository (`glassledger repository reconcile`)", repository),
)


def markdown() -> str:
    parts = [INTRO]
    for title, module in SECTIONS:
        parts.append(f"\n## {title}\n")
        for table in vars(module).values():
            if isinstance(table, Table):
                parts.append("\n" + _table_md(table))
    return "".join(parts).replace("\n\n\n", "\n\n")
