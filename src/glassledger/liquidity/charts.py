"""Charts of indicators and simulations: PNG through matplotlib, interactive HTML through
Plotly. Each function returns the written paths."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: (title, [(column, label)]) per panel of the indicator chart.
INDICATOR_PANELS = (
    (
        "Corridor spreads (bp)",
        [("sofr_minus_iorb_bp", "SOFR - IORB"), ("sofr_minus_top_bp", "SOFR - top of range")],
    ),
    (
        "Fed balance sheet (USD bn)",
        [
            ("net_liquidity_usd_bn", "net liquidity"),
            ("reserves_usd_bn", "reserves"),
            ("tga_usd_bn", "TGA"),
            ("on_rrp_usd_bn", "ON RRP"),
        ],
    ),
    (
        "Reserve regime",
        [("p_abundant", "P(abundant)"), ("p_ample", "P(ample)"), ("p_scarce", "P(scarce)")],
    ),
)

#: Panels of the simulation chart; ``data_*`` and ``reported_*`` columns are data overlays
#: drawn when present (``reported_*`` as markers).
SIMULATION_PANELS = (
    (
        "SOFR and the corridor (%)",
        [
            ("srf_rate_pct", "SRF rate (ceiling)"),
            ("iorb_pct", "IORB"),
            ("on_rrp_rate_pct", "ON RRP rate"),
            ("sofr_pct", "SOFR (model)"),
            ("data_sofr_pct", "SOFR (data)"),
        ],
    ),
    (
        "SRF take-up (USD bn)",
        [
            ("srf_usd_bn", "SRF (model)"),
            ("unmet_usd_bn", "unmet (no SRF)"),
            ("reported_srf_usd_bn", "SRF (reported)"),
        ],
    ),
    (
        "Reserves and ON RRP (USD bn)",
        [
            ("reserves_usd_bn", "reserves (model)"),
            ("data_reserves_usd_bn", "reserves (data)"),
            ("on_rrp_usd_bn", "ON RRP (model)"),
        ],
    ),
    ("TGA (USD bn)", [("tga_usd_bn", "TGA")]),
)


def _save(frame: pd.DataFrame, panels, title: str, out: Path, stem: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        (t, [(c, lbl) for c, lbl in series if c in frame and frame[c].notna().any()])
        for t, series in panels
    ]
    rows = [(t, s) for t, s in rows if s]
    fig, axes = plt.subplots(len(rows), 1, figsize=(10, 2.6 * len(rows)), sharex=True)
    for ax, (panel_title, series) in zip(
        list(axes) if len(rows) > 1 else [axes], rows, strict=True
    ):
        for column, label in series:
            if column.startswith("reported_"):  # sparse points: markers only
                ax.plot(frame.index, frame[column], "o", label=label, markersize=4)
            else:
                ax.plot(frame.index, frame[column], label=label, linewidth=1.0)
        ax.set_title(panel_title, fontsize=9, loc="left")
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    png = out / f"{stem}.png"
    fig.savefig(png, dpi=90)
    plt.close(fig)
    figure = make_subplots(
        rows=len(rows), cols=1, shared_xaxes=True, subplot_titles=[t for t, _ in rows]
    )
    for i, (_, series) in enumerate(rows, start=1):
        for column, label in series:
            figure.add_trace(
                go.Scatter(x=frame.index, y=frame[column], name=label, mode="lines"), row=i, col=1
            )
    figure.update_layout(title=title, height=280 * len(rows))
    html = out / f"{stem}.html"
    figure.write_html(html, include_plotlyjs=True)  # inline: works offline, no CDN
    return [png, html]


def indicator_charts(indicators: pd.DataFrame, out: Path, stem: str = "indicators") -> list[Path]:
    """Corridor spreads, balance-sheet aggregates and regime probabilities over time."""
    return _save(indicators, INDICATOR_PANELS, "Dollar liquidity indicators", out, stem)


def simulation_charts(daily: pd.DataFrame, out: Path, title: str, stem: str) -> list[Path]:
    """SOFR against the corridor, SRF use, reserves and TGA (with data overlays if present)."""
    return _save(daily, SIMULATION_PANELS, title, out, stem)


#: Panels of the parallel-dollar chart (corridor published to the ledger, reserve read back).
LEDGER_PANELS = (
    (
        "SOFR, the corridor and the basket reserve's realised yield (%)",
        [
            ("srf_rate_pct", "SRF rate (ceiling)"),
            ("iorb_pct", "IORB"),
            ("on_rrp_rate_pct", "ON RRP rate"),
            ("sofr_pct", "SOFR"),
            ("bill_pct", "3-month bill (posted)"),
            ("deposit_pct", "deposit (posted)"),
            ("basket_reserve_pct", "basket reserve, USD sleeve (on-ledger)"),
        ],
    ),
    ("Basket reserve minus SOFR (bp)", [("basket_reserve_minus_sofr_bp", "reserve - SOFR")]),
)


def ledger_charts(table: pd.DataFrame, out: Path, title: str, stem: str) -> list[Path]:
    """The basket reserve's on-ledger yield beside SOFR and the corridor, and its spread."""
    return _save(table, LEDGER_PANELS, title, out, stem)
