"""Self-contained HTML report of a scenario run (``glassledger report RUN``).

One file, no network: the Plotly JS bundled with the ``plotly`` package
(``plotly.offline.get_plotlyjs()``, the package's ``plotly.min.js``) is inlined once, each
chart is a ``div`` drawn by it; a short text summary of the key figures comes first and the
scenario file that produced the run last. Amounts are shown in USD (ledger minor units / 100).
"""

from __future__ import annotations

import html
import importlib
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from glassledger.sim.engine import RunResult

#: Scenario kinds whose module has ``report_lines(figures)`` and ``report_charts(run)``.
KIND_MODULES = {
    "basket_attack": "glassledger.sim.attack",
    "repo_squeeze": "glassledger.sim.squeeze",
    "market_structure": "glassledger.sim.structure",
}


def _kind_module(run: RunResult):
    name = KIND_MODULES.get(run.scenario.kind)
    return None if name is None else importlib.import_module(name)


def _usd(cents: float) -> str:
    return f"${cents / 100:,.0f}"


def summary_lines(run: RunResult) -> list[str]:
    """The key figures in words (what the report's summary says)."""
    f = run.figures
    lines = [
        f"Scenario {run.scenario.name} (seed {run.scenario.seed_source}), run seed {run.seed}: "
        f"{len(run.blocks)} blocks, {int(run.blocks['txs'].sum())} transactions "
        f"({int(run.blocks['rejected'].sum())} rejected); {f.get('tokens_conserved', 0)} "
        "tokens, every one conserved (supply = free + locked) at the end of the run.",
    ]
    module = _kind_module(run)
    if module is not None:
        lines += module.report_lines(f)
    if run.scenario.kind == "dealer_default":
        lines.append(
            f"{f['repo_margin_calls']} repo margin calls, {f['pool_liquidations']} pool "
            f"liquidation(s); {len(f['defaults'])} defaults, total loss "
            f"{_usd(f['total_loss'])}, guarantee paid {_usd(f['guarantee_paid'])}."
        )
        for d in f["defaults"]:
            when = (
                f"warned at block {d['first_warning_height']}, before its default"
                if d["warned_before"]
                else "NOT warned before its default"
            )
            lines.append(
                f"{d['defaulter']} defaulted at block {d['height']} ({d['what']}): loss "
                f"{_usd(d['loss'])}, claim {_usd(d['claim'])}; {when}."
            )
        for a in f["analyses"]:
            warned = ", ".join(a["warned"]) or "nobody"
            rounds = "; ".join(
                f"round {r}: {', '.join(v) or '-'}" for r, v in sorted(a["cascade"].items())
            )
            lines.append(
                f"Monitor analysis at block {a['analysis_height']} (published in block "
                f"{a['published_height']}): warned {warned}. Cascade {rounds}."
            )
    return lines


def charts(run: RunResult) -> list[tuple[str, go.Figure]]:
    """The report's charts: (title, figure)."""
    out: list[tuple[str, go.Figure]] = []
    usd = run.agents[run.agents["symbol"] == "USD"]
    fig = go.Figure()
    for agent, rows in usd.groupby("agent", sort=True):
        fig.add_trace(
            go.Scatter(x=rows["height"], y=(rows["free"] + rows["locked"]) / 100, name=str(agent))
        )
    fig.update_layout(xaxis_title="block", yaxis_title="USD held (free + locked)")
    out.append(("Cash held per agent", fig))
    fig = go.Figure(go.Bar(x=run.blocks["height"], y=run.blocks["txs"], name="transactions"))
    fig.add_trace(go.Bar(x=run.blocks["height"], y=run.blocks["rejected"], name="rejected"))
    fig.update_layout(xaxis_title="block", yaxis_title="transactions", barmode="overlay")
    out.append(("Transactions per block", fig))
    f = run.figures
    module = _kind_module(run)
    if module is not None:
        out += module.report_charts(run)
    if run.scenario.kind == "dealer_default":
        fig = go.Figure()
        warn_x, warn_y = [], []
        for a in f["analyses"]:
            warn_x += [a["published_height"]] * len(a["warned"])
            warn_y += a["warned"]
        fig.add_trace(
            go.Scatter(x=warn_x, y=warn_y, mode="markers", name="warning", marker_size=12)
        )
        fig.add_trace(
            go.Scatter(
                x=[d["height"] for d in f["defaults"]],
                y=[d["defaulter"] for d in f["defaults"]],
                mode="markers",
                name="default",
                marker={"symbol": "x", "size": 14},
            )
        )
        fig.update_layout(xaxis_title="block", yaxis_title="institution")
        out.append(("Warnings and defaults", fig))
        d = pd.DataFrame(f["defaults"])
        fig = go.Figure()
        for col in ("loss", "guarantee_paid", "claim"):
            fig.add_trace(go.Bar(x=d["defaulter"] + " " + d["what"], y=d[col] / 100, name=col))
        fig.update_layout(yaxis_title="USD", barmode="group")
        out.append(("Losses, guarantee payments and claims", fig))
    return out


def render(run: RunResult) -> str:
    """The report as one HTML document (no external resources)."""
    parts = []
    for i, (title, fig) in enumerate(charts(run)):
        fig.update_layout(title=title, height=420, margin={"t": 50})
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{i}")
        parts.append(f"<section>{div}</section>")
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(run))
    figures = html.escape(json.dumps(run.figures, indent=1, default=str))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>glassledger scenario report: {html.escape(run.scenario.name)}</title>
<script>{get_plotlyjs()}</script>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}pre{{background:#f4f4f4;
padding:8px;overflow:auto}}</style></head><body>
<h1>Scenario report: {html.escape(run.scenario.name)}</h1>
<p>{html.escape(run.scenario.description)}</p>
<h2>Summary</h2><ul id="summary">{summary}</ul>
<h2>Charts</h2>{"".join(parts)}
<h2>Key figures</h2><details><summary>JSON</summary><pre>{figures}</pre></details>
<h2>Scenario file</h2><pre id="scenario">{html.escape(run.scenario_text)}</pre>
</body></html>
"""


def write_report(run: RunResult, path: Path | str) -> Path:
    """Write :func:`render` of ``run`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")
    return path


def write_sweep_report(
    scenario_text: str, table: pd.DataFrame, param: str, path: Path | str
) -> Path:
    """A self-contained HTML page of a basket-attack sweep over ``param`` (the reserve's
    liquidity, say): when the attack becomes self-fulfilling, and the table."""
    from glassledger.sim.attack import sweep_chart, threshold

    safe = threshold(table, param)
    line = (
        f"No run was self-fulfilling from {param} = {safe} on."
        if safe is not None
        else f"Runs were self-fulfilling up to the highest {param} swept."
    )
    title = "When the attack becomes self-fulfilling"
    fig = sweep_chart(table, param)
    fig.update_layout(title=f"Speculative attack against {param}", height=480)
    return write_sweep_page(scenario_text, table, title, line, fig, path)


def write_structure_sweep_report(
    scenario_text: str, table: pd.DataFrame, param: str, path: Path | str
) -> Path:
    """A self-contained HTML page of a market-structure sweep over ``param`` (the number
    of dealers or their balance-sheet limit): liquidity supplied and peak rates of both
    markets, and the table."""
    from glassledger.sim.structure import sweep_chart

    fig = sweep_chart(table, param)
    fig.update_layout(title=f"Dealer market and on-ledger market against {param}", height=480)
    line = (
        f"{len(table)} runs; liquidity supplied and peak marginal rate of both markets, "
        f"averaged over the seeds, against {param}."
    )
    return write_sweep_page(scenario_text, table, "Market structure", line, fig, path)


def write_sweep_page(
    scenario_text: str,
    table: pd.DataFrame,
    title: str,
    line: str,
    fig: go.Figure,
    path: Path | str,
) -> Path:
    """One self-contained HTML page: ``title``, a summary ``line``, the chart, the runs'
    table and the scenario file."""
    div = fig.to_html(full_html=False, include_plotlyjs=False, div_id="chart-0")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>glassledger sweep: {html.escape(title)}</title>
<script>{get_plotlyjs()}</script></head>
<body style="font-family:sans-serif;max-width:1100px;margin:auto">
<h1>{html.escape(title)}</h1><p id="summary">{html.escape(line)}</p>
<section>{div}</section>
<h2>Runs</h2>{table.to_html(index=False)}
<h2>Scenario file</h2><pre>{html.escape(scenario_text)}</pre></body></html>
""",
        encoding="utf-8",
    )
    return path
