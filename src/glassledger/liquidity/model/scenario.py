"""Scenarios: an initial state plus the exogenous daily paths the agents react to.

A :class:`Scenario` holds, per business day (USD bn, percent):

* the corridor: ``on_rrp_rate_pct``, ``iorb_pct``, ``srf_rate_pct`` (NaN: no standing
  facility) and ``srf_limit_usd_bn`` (inf: unlimited; finite: ad hoc operations as in 2019);
* the Fed's assets other than SRF loans, ``fed_assets_usd_bn`` (QT runoff lowers it,
  reserve-management purchases raise it);
* the Treasury: ``deficit_usd_bn`` (trend spending minus receipts per day, before tax-day
  receipts, which the model adds) and ``tga_target_usd_bn``; or, for replays, the published
  ``tga_usd_bn`` and issuance ``net_bills_usd_bn`` / ``net_coupons_usd_bn``;
* optionally ``other_liabilities_usd_bn`` (currency, foreign repo pool...; replays take
  them from H.4.1 as fed assets - reserves - TGA - ON RRP on Wednesdays), otherwise they
  grow at ``other_liabilities_growth``; and ``facility_after_market`` (1.0 on a day the
  Fed's operation is conducted after the morning market, as on 17 September 2019: it lends
  what is left unmet at its minimum bid rate but does not cap that day's SOFR);
* shocks: ``basis_shock`` (fraction of the relative-value funds' cash-Treasury positions
  lost that day on a widening of the cash-futures basis), ``leverage_mult`` (multiplies
  their leverage limits: a haircut increase), ``stress_mult`` (scales quarter- and
  month-end balance-sheet cuts).

Named scenarios (:data:`SCENARIOS`) are built from the shipped data: two replays
(``sept-2019``, ``2025``) and projections from the last data day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from glassledger.errors import InputError
from glassledger.liquidity.data import (
    build_panel,
    load_sample_issuance,
    next_us_business_days,
    us_business_days,
)
from glassledger.liquidity.model.params import (
    POST_2020,
    PREVIOUS_PARAMS,
    PREVIOUS_POST_2020,
    InitialState,
    ModelParams,
)

REQUIRED_PATHS = (
    "on_rrp_rate_pct",
    "iorb_pct",
    "srf_rate_pct",
    "srf_limit_usd_bn",
    "fed_assets_usd_bn",
    "deficit_usd_bn",
    "tga_target_usd_bn",
    "basis_shock",
    "leverage_mult",
    "stress_mult",
)
REPLAY_PATHS = ("tga_usd_bn", "net_bills_usd_bn", "net_coupons_usd_bn")
OPTIONAL_PATHS = ("other_liabilities_usd_bn", "facility_after_market")


@dataclass(frozen=True)
class Scenario:
    """An initial state, daily exogenous paths (see module docstring) and parameters."""

    name: str
    description: str
    initial: InitialState
    paths: pd.DataFrame
    params: ModelParams = field(default_factory=ModelParams)

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED_PATHS if c not in self.paths]
        if missing:
            raise InputError(f"scenario paths lack columns {missing}", source=self.name)
        bad = self.paths[list(REQUIRED_PATHS)].drop(columns="srf_rate_pct").isna().any(axis=1)
        if bad.any():
            raise InputError(
                "scenario path has a gap (NaN)",
                source=self.name,
                row=str(self.paths.index[bad.to_numpy()][0].date()),
            )

    @property
    def days(self) -> pd.DatetimeIndex:
        """The simulated business days."""
        return self.paths.index

    @property
    def is_replay(self) -> bool:
        """True when TGA and issuance are published data rather than modelled."""
        return all(c in self.paths for c in REPLAY_PATHS)


# --------------------------------------------------------------------------------------------
# builders

_PANEL_START, _PANEL_END = "2018-04-02", "2026-06-30"


def sample_panel() -> pd.DataFrame:
    """The daily data panel of the shipped sample (2018-04 to 2026-06)."""
    return build_panel(_PANEL_START, _PANEL_END)


def _base_paths(days: pd.DatetimeIndex, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    paths = pd.DataFrame(index=days)
    paths["basis_shock"] = 0.0
    paths["leverage_mult"] = 1.0
    paths["stress_mult"] = 1.0
    paths["srf_limit_usd_bn"] = np.inf
    if panel is not None:
        rates = panel.reindex(days).ffill()
        for col in ("on_rrp_rate_pct", "iorb_pct", "srf_rate_pct"):
            paths[col] = rates[col]
    return paths


def other_liabilities(panel: pd.DataFrame, days: pd.DatetimeIndex) -> pd.Series:
    """Fed liabilities other than reserves, TGA and ON RRP (USD bn) on Wednesdays, carried
    forward: WALCL - WRESBAL - TGA - ON RRP."""
    wednesdays = panel[panel.index.day_of_week == 2]
    other = (
        wednesdays["fed_assets_usd_bn"]
        - wednesdays["reserves_usd_bn"]
        - wednesdays["tga_usd_bn"]
        - wednesdays["on_rrp_usd_bn"]
    )
    return other.reindex(other.index.union(days)).ffill().bfill().reindex(days)


def previous_calibration(scenario: Scenario) -> Scenario:
    """``scenario`` as calibrated by the first issue-15 pass (the baseline of
    ``benchmarks/corridor_fit.py``): :data:`.params.PREVIOUS_PARAMS` (relative-value funds
    buy coupons only within spare leverage room) and, for post-2020 scenarios, the values of
    :data:`.params.PREVIOUS_POST_2020`."""
    changes = dict(PREVIOUS_PARAMS)
    if scenario.name != "sept-2019":
        changes |= PREVIOUS_POST_2020
    params = scenario.params.with_(**changes)
    return Scenario(scenario.name, scenario.description, scenario.initial, scenario.paths, params)


#: Replays calibrate their first day's market on the median spread of this many open-market
#: days (in-sample data; see :mod:`.fit`).
CALIBRATION_DAYS = 10

#: The New York Fed's first overnight repo operation of the episode: 17 September 2019.
FED_REPO_OPERATIONS_START = pd.Timestamp("2019-09-17")


def replay_sept_2019(
    panel: pd.DataFrame | None = None, params: ModelParams | None = None
) -> Scenario:
    """July-December 2019: no SRF; reserves near 8 % of bank assets; the 16 September tax
    date and coupon settlement. The Fed's ad hoc repo operations are the backstop from 17
    September (the first overnight operation, USD 53 bn, was on Tuesday 17 September 2019):
    overnight and term operations at a minimum bid rate equal to IOER (1.80 %
    from 19 September, NY Fed operating policy of 23 September 2019), USD 75 bn, 105 bn
    from 24 September and 165 bn from 11 October (overnight plus outstanding term), plus bill
    purchases of USD 60 bn a month from 15 October."""
    panel = sample_panel() if panel is None else panel
    days = us_business_days("2019-07-01", "2019-12-31")
    paths = _base_paths(days, panel)
    ops = days >= FED_REPO_OPERATIONS_START
    # 17 September: announced that morning and conducted at 9:30-9:45, after most repo had
    # traded (SOFR printed 5.25 %); it lent USD 53 bn into the day's close.
    paths["facility_after_market"] = (days == FED_REPO_OPERATIONS_START).astype(float)
    paths["srf_rate_pct"] = paths["iorb_pct"].where(ops)
    paths["srf_limit_usd_bn"] = np.select(
        [days >= "2019-10-11", days >= "2019-09-24"], [165.0, 105.0], 75.0
    )
    walcl = panel["fed_assets_usd_bn"].reindex(days).ffill()
    flat = walcl.loc[:"2019-09-11"].iloc[-1]
    purchases = 60.0 / 21.0 * np.cumsum(days >= "2019-10-15")
    paths["fed_assets_usd_bn"] = walcl.where(days <= "2019-09-11", flat) + purchases
    paths["deficit_usd_bn"] = 984.0 / 252.0  # FY2019 federal deficit, USD 984 bn
    paths["tga_target_usd_bn"] = panel["tga_usd_bn"].reindex(days).ffill()
    paths["other_liabilities_usd_bn"] = other_liabilities(panel, days)
    initial = InitialState.from_panel(
        panel,
        days[0],
        mmf_repo_usd_bn=800.0,
        mmf_bills_usd_bn=650.0,
        public_bills_usd_bn=2_400.0,
        calibration_days=CALIBRATION_DAYS,
    )
    if params is None:  # auctions bid near the minimum rate: far more elastic than the SRF
        params = ModelParams(tga_adjust_days=5.0, srf_elasticity_bn_per_bp=10.0)
    description = (
        "Replay of July-December 2019: no SRF, the 16-17 September spike, the Fed's "
        "ad hoc repo operations"
    )
    return Scenario("sept-2019", description, initial, paths, params)


def replay_2025(panel: pd.DataFrame | None = None, params: ModelParams | None = None) -> Scenario:
    """2025 with published TGA (DTS), marketable issuance (DTS IIIA), Fed assets (H.4.1)
    and policy rates; the SRF at the top of the range with no limit."""
    panel = sample_panel() if panel is None else panel
    days = us_business_days("2025-01-02", "2025-12-31")
    paths = _base_paths(days, panel)
    paths["fed_assets_usd_bn"] = panel["fed_assets_usd_bn"].reindex(days).ffill()
    paths["tga_usd_bn"] = panel["tga_usd_bn"].reindex(days).ffill()
    issuance = load_sample_issuance().reindex(days).fillna(0.0)
    paths["net_bills_usd_bn"] = issuance["bills_issued_usd_bn"] - issuance["bills_redeemed_usd_bn"]
    paths["net_coupons_usd_bn"] = (
        issuance["coupons_issued_usd_bn"] - issuance["coupons_redeemed_usd_bn"]
    )
    paths["deficit_usd_bn"] = 1_800.0 / 252.0
    paths["tga_target_usd_bn"] = paths["tga_usd_bn"]
    paths["other_liabilities_usd_bn"] = other_liabilities(panel, days)
    initial = InitialState.from_panel(
        panel,
        days[0],
        mmf_repo_usd_bn=1_700.0,
        mmf_bills_usd_bn=2_300.0,
        public_bills_usd_bn=6_200.0,
        calibration_days=CALIBRATION_DAYS,
    )
    params = ModelParams().with_(**POST_2020) if params is None else params
    return Scenario(
        "2025",
        "Replay of 2025: published TGA and issuance, SRF at the top of the range",
        initial,
        paths,
        params,
    )


def projection(
    name: str,
    description: str,
    *,
    years: float = 1.0,
    qt_per_month_usd_bn: float = 0.0,
    rmp_per_month_usd_bn: float = 0.0,
    deficit_per_year_usd_bn: float = 1_900.0,
    tga_start_usd_bn: float | None = None,
    tga_target_usd_bn: float = 850.0,
    panel: pd.DataFrame | None = None,
    start: str = "2026-06-17",
    params: ModelParams | None = None,
) -> Scenario:
    """A forward run from the data on ``start`` with the corridor held at its last values.

    Default parameters: the post-2020 calibration, with QT paused while reserves are below
    10 % of bank assets.

    ``qt_per_month_usd_bn`` shrinks and ``rmp_per_month_usd_bn`` grows the Fed's assets
    (USD bn per month, spread over 21 business days); ``tga_start_usd_bn`` overrides the
    starting TGA (the difference goes to reserves, keeping the Fed's balance sheet whole).
    """
    panel = sample_panel() if panel is None else panel
    first = pd.Timestamp(start)
    days = next_us_business_days(first, round(252 * years))
    last = panel.loc[:first].ffill().iloc[-1]
    paths = _base_paths(days)
    for col in ("on_rrp_rate_pct", "iorb_pct", "srf_rate_pct"):
        paths[col] = last[col]
    monthly = (rmp_per_month_usd_bn - qt_per_month_usd_bn) / 21.0
    paths["fed_assets_usd_bn"] = last["fed_assets_usd_bn"] + monthly * np.arange(1, len(days) + 1)
    paths["deficit_usd_bn"] = deficit_per_year_usd_bn / 252.0
    paths["tga_target_usd_bn"] = tga_target_usd_bn
    initial = InitialState.from_panel(
        panel,
        first,
        mmf_repo_usd_bn=1_900.0,
        mmf_bills_usd_bn=2_500.0,
        public_bills_usd_bn=6_600.0,
    )
    if tga_start_usd_bn is not None:
        shift = initial.tga_usd_bn - tga_start_usd_bn
        initial = InitialState(
            **{
                **initial.__dict__,
                "tga_usd_bn": tga_start_usd_bn,
                "reserves_usd_bn": initial.reserves_usd_bn + shift,
            }
        )
    default = ModelParams().with_(**POST_2020, qt_stop_ratio_pct=10.0)
    return Scenario(name, description, initial, paths, params or default)


def _basis_unwind(**kw) -> Scenario:
    scenario = projection(
        "basis-unwind",
        "A 1 % loss on basis positions and a haircut rise "
        "that halves leverage limits for 60 days, from day 60; forced "
        "sales clog dealers' balance sheets (half-life 20 days)",
        **kw,
    )
    paths = scenario.paths.copy()
    paths.iloc[60, paths.columns.get_loc("basis_shock")] = 0.01
    paths.iloc[60:120, paths.columns.get_loc("leverage_mult")] = 0.5
    params = scenario.params.with_(rv_sale_to_dealers=1.0, dealer_half_life_days=20.0)
    return Scenario(
        scenario.name, scenario.description, scenario.initial, paths, kw.get("params") or params
    )


def _quarter_end(**kw) -> Scenario:
    scenario = projection(
        "quarter-end",
        "Balance-sheet cuts at quarter and month ends 1.5 times the calibrated ones",
        **kw,
    )
    paths = scenario.paths.copy()
    paths["stress_mult"] = 1.5
    return Scenario(scenario.name, scenario.description, scenario.initial, paths, scenario.params)


#: Named scenarios: name -> builder accepting keyword overrides (``years``, ``params``...).
SCENARIOS: dict[str, Callable[..., Scenario]] = {
    "sept-2019": lambda panel=None, params=None, **_: replay_sept_2019(panel, params),
    "2025": lambda panel=None, params=None, **_: replay_2025(panel, params),
    "baseline": lambda **kw: projection(
        "baseline",
        "QT ended; reserve-management purchases of USD 20 bn a month",
        rmp_per_month_usd_bn=20.0,
        **kw,
    ),
    "qt-continued": lambda **kw: projection(
        "qt-continued",
        "QT continues at USD 40 bn a month (Treasuries and MBS), no purchases",
        qt_per_month_usd_bn=40.0,
        **kw,
    ),
    "qt-ended": lambda **kw: projection(
        "qt-ended",
        "QT ended; reserve-management bill purchases of USD 40 bn a month",
        rmp_per_month_usd_bn=40.0,
        **kw,
    ),
    "tga-rebuild": lambda **kw: projection(
        "tga-rebuild",
        "TGA rebuilt from USD 400 bn to 950 bn (after a debt-limit episode)",
        tga_start_usd_bn=400.0,
        tga_target_usd_bn=950.0,
        **kw,
    ),
    "quarter-end": _quarter_end,
    "basis-unwind": _basis_unwind,
}


def build_scenario(name: str, **overrides) -> Scenario:
    """The named scenario (see :data:`SCENARIOS`); raises InputError for an unknown name."""
    if name not in SCENARIOS:
        raise InputError(
            f"unknown scenario; choose one of {sorted(SCENARIOS)}", field="scenario", value=name
        )
    return SCENARIOS[name](**overrides)
