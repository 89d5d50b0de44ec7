"""How well the corridor model fits the data, with part of the data held out.

The replays (``sept-2019``, ``2025``) are compared with the shipped data on the days the
market was open (days with a SOFR print). The calibration (:data:`.params.POST_2020` and the
replay set-ups) was chosen looking only at the **in-sample** periods; the **held-out** periods
were looked at only to report the figures below:

* 2025 in-sample: 2 January to 29 August 2025 (one reported SRF take-up date, 30 June);
  2025 held-out: 2 September to 31 December 2025 (the other six reported dates: 15
  September, 15 and 31 October, 1 and 29 December and the record 31 December);
* 2019 in-sample: 1 July to 13 September 2019 (the calm before the spike); 2019 held-out:
  16 September to 31 December 2019 (the spike of the 17th and the Fed's operations).

Figures (:class:`PeriodFit`): days with SOFR above IORB (IOER in 2019), model and data; the
root-mean-square error of SOFR - IORB in basis points; the reported SRF take-up dates on which
the model lends at least :data:`SRF_HIT_USD_BN` (hit) or not (missed); and for September 2019
the spike's height (SOFR - IOER on 17 September, bp) in the model and the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A reported take-up date counts as hit when the model's SRF lends at least this (USD bn).
SRF_HIT_USD_BN = 0.5
#: (name, first day, last day, in sample?) of the compared periods.
PERIODS: tuple[tuple[str, str, str, bool], ...] = (
    ("2025 in-sample", "2025-01-02", "2025-08-29", True),
    ("2025 held-out", "2025-09-02", "2025-12-31", False),
    ("2019 in-sample", "2019-07-01", "2019-09-13", True),
    ("2019 held-out", "2019-09-16", "2019-12-31", False),
)
SPIKE_DAY = pd.Timestamp("2019-09-17")


@dataclass(frozen=True)
class PeriodFit:
    """Model against data over one period (spreads in bp over IORB, amounts in USD bn)."""

    name: str
    in_sample: bool
    days: int
    model_days_above: int
    data_days_above: int
    rmse_bp: float
    srf_hits: tuple[pd.Timestamp, ...]
    srf_misses: tuple[pd.Timestamp, ...]

    @property
    def days_above_ratio(self) -> float:
        """Model days above IORB over data days above IORB (1 = exact; NaN if no data day)."""
        return self.model_days_above / self.data_days_above if self.data_days_above else np.nan


def period_fit(
    name: str,
    model: pd.DataFrame,
    panel: pd.DataFrame,
    start: str,
    end: str,
    *,
    in_sample: bool,
    reported_srf: pd.Series | None = None,
) -> PeriodFit:
    """Compare a model run's ``sofr_minus_iorb_bp`` and ``srf_usd_bn`` with the panel's
    SOFR - IORB over [start, end], on the days both have a value."""
    data_spread = (100.0 * (panel["sofr_pct"] - panel["iorb_pct"])).round(6)
    both = pd.DataFrame(
        {"model": model["sofr_minus_iorb_bp"], "data": data_spread.reindex(model.index)}
    ).loc[start:end]
    both = both.dropna()
    hits, misses = [], []
    if reported_srf is not None:
        for day in reported_srf.loc[start:end].index:
            lent = model["srf_usd_bn"].get(day, np.nan)
            (hits if lent >= SRF_HIT_USD_BN else misses).append(pd.Timestamp(day))
    error = both["model"] - both["data"]
    return PeriodFit(
        name,
        in_sample,
        len(both),
        int((both["model"] > 0).sum()),
        int((both["data"] > 0).sum()),
        float(np.sqrt((error**2).mean())) if len(both) else np.nan,
        tuple(hits),
        tuple(misses),
    )


def spike_height(model: pd.DataFrame, panel: pd.DataFrame) -> tuple[float, float, pd.Timestamp]:
    """(model, data) SOFR - IOER on 17 September 2019 in bp, and the model's peak day."""
    data = 100.0 * (panel.at[SPIKE_DAY, "sofr_pct"] - panel.at[SPIKE_DAY, "iorb_pct"])
    spread = model["sofr_minus_iorb_bp"]
    return float(spread.loc[SPIKE_DAY]), float(data), pd.Timestamp(spread.idxmax())


def fit_report(
    run_2019: pd.DataFrame,
    run_2025: pd.DataFrame,
    panel: pd.DataFrame,
    reported_srf: pd.Series,
) -> list[PeriodFit]:
    """The four periods of :data:`PERIODS` for the two replays' daily output."""
    runs = {"2019": run_2019, "2025": run_2025}
    return [
        period_fit(
            name,
            runs[name[:4]],
            panel,
            start,
            end,
            in_sample=in_sample,
            reported_srf=reported_srf if name.startswith("2025") else None,
        )
        for name, start, end, in_sample in PERIODS
    ]


#: Weights of :func:`in_sample_loss`: bp of RMSE per day of gap in days above IORB, per
#: missed in-sample take-up date, and per USD bn of ON RRP RMSE.
LOSS_WEIGHTS = {"days_above": 0.1, "srf_miss": 5.0, "on_rrp_bn": 0.02}


def in_sample_loss(
    run: pd.DataFrame,
    panel: pd.DataFrame,
    reported_srf: pd.Series | None = None,
    *,
    year: str = "2025",
) -> float:
    """The loss the calibration minimises, on ``year``'s **in-sample** period only: RMSE of
    SOFR - IORB (bp) + 0.1 x |model - data days above IORB| + 5 x missed in-sample take-up
    dates + 0.02 x RMSE of the ON RRP balance (USD bn; :data:`LOSS_WEIGHTS`)."""
    name, start, end, _ = next(p for p in PERIODS if p[0] == f"{year} in-sample")
    fit = period_fit(name, run, panel, start, end, in_sample=True, reported_srf=reported_srf)
    rrp = (
        pd.DataFrame(
            {"model": run["on_rrp_usd_bn"], "data": panel["on_rrp_usd_bn"].reindex(run.index)}
        )
        .loc[start:end]
        .dropna()
    )
    w = LOSS_WEIGHTS
    return (
        fit.rmse_bp
        + w["days_above"] * abs(fit.model_days_above - fit.data_days_above)
        + w["srf_miss"] * len(fit.srf_misses)
        + w["on_rrp_bn"] * float(np.sqrt(((rrp["model"] - rrp["data"]) ** 2).mean()))
    )
