"""Pictures of a cascade: a PNG (matplotlib) and an interactive HTML page (plotly).

Direction convention: an arrow goes from creditor to debtor (``ead[i, j] > 0`` draws
``i -> j``: *i is exposed to j*); losses travel against the arrows.

Defaulted nodes are coloured by the round they defaulted in (round 0 = initial defaults);
survivors are grey. Warned institutions (the early warning's ``D_k`` sets, or any names
passed) get a thick black ring in the PNG and a diamond marker in the HTML. Large networks
are cut down to the defaulted and warned institutions and their direct creditors, at most
``max_nodes`` nodes; the layout is a seeded spring layout, so pictures are reproducible.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import plotly.graph_objects as go
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from glassledger.risk.contagion.cascade import CascadeResult

SURVIVOR_COLOUR = "#c8c8c8"


@dataclass(frozen=True)
class _Scene:
    graph: nx.DiGraph
    positions: dict[Hashable, np.ndarray]
    rounds: dict[Hashable, int]
    warned: frozenset
    colours: dict[Hashable, str]


def _scene(result: CascadeResult, warned: Iterable[Hashable], max_nodes: int) -> _Scene:
    network = result.network
    rounds = dict(zip(network.names, result.default_round.tolist(), strict=True))
    warned = frozenset(warned)
    graph = network.to_networkx() if network.size <= max_nodes else _core(result, warned)
    if graph.number_of_nodes() > max_nodes:
        keep = sorted(graph.nodes, key=lambda name: (rounds[name] < 0, rounds[name], str(name)))
        graph = graph.subgraph(keep[:max_nodes]).copy()
    positions = nx.spring_layout(graph, seed=7) if graph.number_of_nodes() else {}
    last = max([r for r in rounds.values() if r >= 0], default=0)
    palette = colormaps["plasma"]
    colours = {
        name: SURVIVOR_COLOUR
        if rounds[name] < 0
        else to_hex(palette(0.85 * rounds[name] / max(last, 1)))
        for name in graph.nodes
    }
    return _Scene(graph, positions, rounds, warned, colours)


def _core(result: CascadeResult, warned: frozenset) -> nx.DiGraph:
    """Defaulted and warned institutions with their direct creditors."""
    network = result.network
    focus = np.union1d(
        np.flatnonzero(result.default_round >= 0), network.index_of(warned & set(network.names))
    ).astype(np.int64)
    creditors = np.unique(network.loss_by_debtor[:, focus].tocoo().row)
    nodes = np.union1d(focus, creditors).astype(np.int64)
    sub = network.ead[nodes][:, nodes].tocoo()
    names = np.asarray(network.names, dtype=object)[nodes]
    graph = nx.DiGraph()
    graph.add_nodes_from(names.tolist())
    graph.add_edges_from(zip(names[sub.row].tolist(), names[sub.col].tolist(), strict=True))
    return graph


def _title(result: CascadeResult) -> str:
    return (
        f"Default cascade: {result.defaulted_count} defaults in {result.rounds} round(s), "
        f"loss {result.total_loss:,.0f}"
    )


def cascade_png(
    result: CascadeResult,
    path: str | Path,
    *,
    warned: Iterable[Hashable] = (),
    max_nodes: int = 400,
) -> Path:
    """Write the cascade picture as a PNG (arrows creditor -> debtor, defaulted nodes coloured
    by round, warned ones ringed); returns the path."""
    scene = _scene(result, warned, max_nodes)
    figure = Figure(figsize=(9, 7), dpi=110)
    axes = figure.subplots()
    nodes = list(scene.graph.nodes)
    nx.draw_networkx_edges(
        scene.graph, scene.positions, ax=axes, alpha=0.35, arrows=True, arrowsize=8, width=0.8
    )
    nx.draw_networkx_nodes(
        scene.graph,
        scene.positions,
        nodelist=nodes,
        node_color=[scene.colours[name] for name in nodes],
        edgecolors=["black" if name in scene.warned else "white" for name in nodes],
        linewidths=[2.5 if name in scene.warned else 0.5 for name in nodes],
        node_size=260,
        ax=axes,
    )
    if len(nodes) <= 60:
        nx.draw_networkx_labels(scene.graph, scene.positions, font_size=8, ax=axes)
    for round_ in sorted({scene.rounds[name] for name in nodes}):
        colour = next(scene.colours[n] for n in nodes if scene.rounds[n] == round_)
        label = "survived" if round_ < 0 else f"defaulted in round {round_}"
        axes.scatter([], [], color=colour, label=label)
    if scene.warned:
        axes.scatter([], [], facecolor="none", edgecolor="black", linewidth=2.5, label="warned")
    axes.legend(loc="best", fontsize=8)
    axes.set_title(_title(result) + "\narrow: creditor -> debtor", fontsize=10)
    axes.set_axis_off()
    path = Path(path)
    figure.savefig(path, bbox_inches="tight")
    return path


def cascade_html(
    result: CascadeResult,
    path: str | Path,
    *,
    warned: Iterable[Hashable] = (),
    max_nodes: int = 2_000,
) -> Path:
    """Write an interactive plotly page (lines join creditor and debtor; colour = default
    round, diamond = warned; hover shows round, capital and loss); returns the path."""
    scene = _scene(result, warned, max_nodes)
    network = result.network
    losses = result.final_losses()
    capital = dict(zip(network.names, network.capital, strict=True))
    edge_x, edge_y = [], []
    for creditor, debtor in scene.graph.edges:
        (x0, y0), (x1, y1) = scene.positions[creditor], scene.positions[debtor]
        edge_x += [x0, x1, None]
        edge_y += [y0, y1, None]
    traces = [
        go.Scatter(
            x=edge_x,
            y=edge_y,
            mode="lines",
            hoverinfo="skip",
            name="exposure",
            line={"width": 0.6, "color": "rgba(90,90,90,0.35)"},
        )
    ]
    groups = sorted({scene.rounds[name] for name in scene.graph.nodes})
    for round_ in groups:
        members = [name for name in scene.graph.nodes if scene.rounds[name] == round_]
        traces.append(
            go.Scatter(
                x=[scene.positions[name][0] for name in members],
                y=[scene.positions[name][1] for name in members],
                mode="markers+text" if len(scene.graph) <= 60 else "markers",
                text=[str(name) for name in members],
                textposition="top center",
                name="survived" if round_ < 0 else f"defaulted in round {round_}",
                marker={
                    "size": 14,
                    "color": scene.colours[members[0]],
                    "symbol": ["diamond" if name in scene.warned else "circle" for name in members],
                    "line": {
                        "width": [3 if name in scene.warned else 0.5 for name in members],
                        "color": "black",
                    },
                },
                hovertext=[
                    f"{name}<br>round: {'-' if round_ < 0 else round_}"
                    f"<br>capital: {capital[name]:,.2f}<br>loss: {losses[name]:,.2f}"
                    f"{'<br>WARNED' if name in scene.warned else ''}"
                    for name in members
                ],
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        title=_title(result) + " (diamond = warned; line: creditor - debtor)",
        xaxis={"visible": False},
        yaxis={"visible": False},
        template="plotly_white",
    )
    path = Path(path)
    figure.write_html(path, include_plotlyjs=True, full_html=True)
    return path
