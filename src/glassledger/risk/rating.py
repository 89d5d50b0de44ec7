"""Credit ratings: external, internal (learned from closed trades) and composite (seed 003).

Seed 003 rates every dealer or counterparty ``P_i`` twice: an **external** rating that changes
periodically (posted on the ledger by the oracle) and an **internal** rating that changes after
each of its trades closes or is terminated by a credit event. Closed trade ``j`` yields the
tuple (previous rating, size, tenor, collateral value, guarantee amount, margined or not,
defaulted or not, recovery rate). The **composite** rating after ``j`` closed trades is
``alpha x external + beta x internal`` with ``alpha + beta = 1``; with no closed trade yet it is
the external rating alone. The seed's internal model is an image missing from the text; the
model below is glassledger's design (docs/risk-ratings.md derives and discusses it).

Internal model: an exponentially time-weighted average of trade outcomes around an anchor
-------------------------------------------------------------------------------------------
All ratings are scores on the 0..21 notch scale of ``rating_scale`` (21 = AAA, 0 = D). Each
closed trade ``k`` at time ``t_k`` (years) carries an evidence weight ``w_k`` and an outcome
score ``s_k``: 21 for a trade completed without default, 0 for a default. The internal rating
at time ``T`` is::

    I(T) = (w0 * R0 + sum_k w_k * s_k * exp(-(T - t_k) / tau))
           / (w0 + sum_k w_k * exp(-(T - t_k) / tau))

``R0`` is the anchor, the counterparty's rating when it started trading (its external rating at
its first closed trade), held with the fixed weight ``w0``; ``tau = half_life / ln 2``. Older
trades weigh less (their weight decays with age) and as evidence goes stale the rating returns
to its anchor. Each update is a bounded step toward the outcome::

    I_after = I_before + lambda * (s - I_before),   lambda = w / (w0 + W_before + w) < 1

where ``W_before`` is the decayed evidence already held. Evidence weights::

    x  = size * min(tenor, tenor_cap) / reference_size          (exposure-years)
    u  = 1 - min(1, (collateral + guarantee) / size)            (uncovered share)
    w  = log(1 + x) * (covered_share + (1 - covered_share) * u) * (margin_factor if margined)
    w_default = (default_base_weight + default_multiplier * log(1 + x))
                * (recovered_severity + (1 - recovered_severity) * (1 - recovery_rate))

A completed trade is evidence of creditworthiness in proportion to the unsecured credit the
counterparty was trusted with: bigger and longer trades count more (with diminishing returns),
collateral, guarantees and margining count less because others bore little risk. A default
pulls toward D with a weight that grows with size and tenor and falls with the recovery rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from glassledger.errors import ConfigError, InputError
from glassledger.risk.default_probability import pd_of_scores
from glassledger.risk.rating_scale import (
    MAX_SCORE,
    MIN_SCORE,
    NOTCH,
    credit_score,
    grade_of,
    scores_of,
)
from glassledger.schemas import fail_at, validate
from glassledger.schemas.credit import EXTERNAL_RATINGS, TRADE_HISTORY

DAYS_PER_YEAR = 365.25
MAX_DECAY_EXPONENT = 600.0
"""Largest history span in units of tau that the vectorized replay accepts (exp(600) is finite)."""
DEFAULT_ANCHOR = float(NOTCH["BBB-"])
"""Anchor of every counterparty when no external ratings are given: the lowest investment grade."""
DEFAULT_ALPHA = 0.5


@dataclass(frozen=True)
class InternalRatingModel:
    """Parameters of the internal rating model (see the module docstring for the formulas).

    ``half_life_years``: years after which a trade's weight halves. ``anchor_weight`` (w0):
    evidence weight of the anchor. ``reference_size``: trade size (currency units) times one
    year that makes ``x = 1``. ``tenor_cap_years``: tenor beyond which a trade counts no more.
    ``covered_share``: share of evidence kept by a fully collateralised or guaranteed trade.
    ``margin_factor``: evidence multiplier of a margined trade. ``default_multiplier`` and
    ``default_base_weight``: a default's weight per unit of ``log(1 + x)`` and its floor.
    ``recovered_severity``: share of a default's weight kept when everything was recovered.
    """

    half_life_years: float = 2.0
    anchor_weight: float = 10.0
    reference_size: float = 1_000_000.0
    tenor_cap_years: float = 30.0
    covered_share: float = 0.25
    margin_factor: float = 0.5
    default_multiplier: float = 40.0
    default_base_weight: float = 5.0
    recovered_severity: float = 0.25

    def __post_init__(self) -> None:
        positive = ("half_life_years", "anchor_weight", "reference_size", "tenor_cap_years")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("covered_share", "margin_factor", "recovered_severity"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"{name} must lie in (0, 1], got {getattr(self, name)!r}")
        for name in ("default_multiplier", "default_base_weight"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.default_multiplier == 0 and self.default_base_weight == 0:
            raise ConfigError(
                "a default must weigh something: default_multiplier or default_base_weight > 0"
            )

    @property
    def decay_rate(self) -> float:
        """``1 / tau = ln 2 / half_life`` per year."""
        return math.log(2.0) / self.half_life_years

    def evidence(
        self,
        size: np.ndarray | float,
        tenor_years: np.ndarray | float,
        collateral_value: np.ndarray | float,
        guarantee_amount: np.ndarray | float,
        margined: np.ndarray | bool,
        defaulted: np.ndarray | bool,
        recovery_rate: np.ndarray | float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Evidence weight ``w`` and outcome score ``s`` (21 or 0) of closed trades (vectorized).

        ``size``, ``collateral_value`` and ``guarantee_amount`` in the same currency units;
        ``recovery_rate`` a decimal, read only where ``defaulted``.
        """
        size = np.asarray(size, dtype=float)
        exposure_years = size * np.minimum(tenor_years, self.tenor_cap_years) / self.reference_size
        base = np.log1p(exposure_years)
        cover = np.add(collateral_value, guarantee_amount, dtype=float)
        larger = np.maximum(size, cover)
        covered = np.divide(cover, larger, out=np.ones_like(larger), where=larger > 0)
        completed = base * (self.covered_share + (1.0 - self.covered_share) * (1.0 - covered))
        completed = completed * np.where(margined, self.margin_factor, 1.0)
        severity = self.recovered_severity + (1.0 - self.recovered_severity) * (
            1.0 - np.where(defaulted, recovery_rate, 0.0)
        )
        default = (self.default_base_weight + self.default_multiplier * base) * severity
        weight = np.where(defaulted, default, completed)
        outcome = np.where(defaulted, MIN_SCORE, MAX_SCORE)
        return weight, outcome


@dataclass(frozen=True)
class ClosedTrade:
    """One closed or terminated trade of seed 003's tuple (the previous rating is the state).

    ``time_years`` on any fixed origin; ``size``, ``collateral_value``, ``guarantee_amount`` in
    currency units; ``tenor_years`` the contract's running time; ``recovery_rate`` a decimal
    (used only when ``defaulted``).
    """

    time_years: float
    size: float
    tenor_years: float
    collateral_value: float = 0.0
    guarantee_amount: float = 0.0
    margined: bool = False
    defaulted: bool = False
    recovery_rate: float = 0.0


@dataclass(frozen=True)
class InternalRating:
    """State of one counterparty's internal rating at ``time_years``.

    ``anchor`` (R0, a score), ``weighted_outcomes`` (sum of w*s*decay) and ``evidence`` (sum of
    w*decay) at ``time_years``; ``closed_trades`` counts the trades seen.
    """

    anchor: float
    time_years: float = 0.0
    weighted_outcomes: float = 0.0
    evidence: float = 0.0
    closed_trades: int = 0

    @classmethod
    def resume(
        cls,
        *,
        anchor: float,
        evidence: float,
        internal: float,
        time_years: float,
        closed_trades: int,
        model: InternalRatingModel,
    ) -> InternalRating:
        """The state behind a rating-path row (``anchor``, ``evidence``, ``internal``), to carry
        on trade by trade without replaying the history: ``weighted_outcomes`` is recovered
        from ``internal = (w0 R0 + weighted_outcomes) / (w0 + evidence)``."""
        w0 = model.anchor_weight
        return cls(
            anchor=anchor,
            time_years=time_years,
            weighted_outcomes=internal * (w0 + evidence) - w0 * anchor,
            evidence=evidence,
            closed_trades=closed_trades,
        )

    def score(self, model: InternalRatingModel) -> float:
        """Internal rating (score 0..21) at ``time_years``."""
        w0 = model.anchor_weight
        return (w0 * self.anchor + self.weighted_outcomes) / (w0 + self.evidence)

    def as_of(self, time_years: float, model: InternalRatingModel) -> InternalRating:
        """The state decayed to a later time (no new trade): stale evidence weighs less."""
        if time_years < self.time_years:
            raise InputError(
                f"time {time_years} is before the state's time {self.time_years}",
                field="time_years",
            )
        decay = math.exp(-model.decay_rate * (time_years - self.time_years))
        return replace(
            self,
            time_years=time_years,
            weighted_outcomes=self.weighted_outcomes * decay,
            evidence=self.evidence * decay,
        )

    def after(self, trade: ClosedTrade, model: InternalRatingModel) -> InternalRating:
        """The state after ``trade`` closes (at ``trade.time_years``, not before the state)."""
        _check_trade(trade)
        now = self.as_of(trade.time_years, model)
        weight, outcome = model.evidence(
            trade.size,
            trade.tenor_years,
            trade.collateral_value,
            trade.guarantee_amount,
            trade.margined,
            trade.defaulted,
            trade.recovery_rate,
        )
        return replace(
            now,
            weighted_outcomes=now.weighted_outcomes + float(weight * outcome),
            evidence=now.evidence + float(weight),
            closed_trades=now.closed_trades + 1,
        )


def _check_trade(trade: ClosedTrade) -> None:
    checks = {
        "size": trade.size >= 0,
        "tenor_years": trade.tenor_years >= 0,
        "collateral_value": trade.collateral_value >= 0,
        "guarantee_amount": trade.guarantee_amount >= 0,
        "recovery_rate": 0 <= trade.recovery_rate <= 1,
    }
    for field, ok in checks.items():
        if not ok:
            raise InputError(
                "out of range", source="closed trade", field=field, value=getattr(trade, field)
            )


def composite_score(
    external: np.ndarray | float,
    internal: np.ndarray | float,
    closed_trades: np.ndarray | int,
    *,
    alpha: float = DEFAULT_ALPHA,
) -> np.ndarray:
    """``alpha x external + (1 - alpha) x internal`` (scores), the external alone before the
    first closed trade (seed 003). ``alpha`` is the weight of the external rating, in [0, 1]."""
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must lie in [0, 1], got {alpha!r}")
    external = np.asarray(external, dtype=float)
    blended = alpha * external + (1.0 - alpha) * np.asarray(internal, dtype=float)
    return np.where(np.asarray(closed_trades) > 0, blended, external)


# --------------------------------------------------------------------------------------------
# Batch replay of trade histories
# --------------------------------------------------------------------------------------------

TRADE_COLUMNS = """\
counterparty (id), trade_id (id), closed_at (date/time), size (>= 0), tenor_years (>= 0),
collateral_value (>= 0, default 0), guarantee_amount (>= 0, default 0), margined (flag, default
false), defaulted (flag, default false), recovery_rate (0..1, required where defaulted)"""

EXTERNAL_COLUMNS = "counterparty (id), as_of (date/time), rating (grade or score 0..21)"

PATH_COLUMNS = [
    "counterparty",
    "trade_id",
    "closed_at",
    "closed_trades",
    "defaulted",
    "evidence_weight",
    "anchor",
    "evidence",
    "internal_before",
    "internal",
    "internal_grade",
    "external",
    "composite",
    "composite_grade",
    "credit_score",
    "pd",
]


def _read_trades(trades: pd.DataFrame, source: str) -> pd.DataFrame:
    checked = validate(trades, TRADE_HISTORY, source=source)
    defaulted = checked["defaulted"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "counterparty": checked["counterparty"].to_numpy(dtype=object),
            "trade_id": checked["trade_id"].to_numpy(dtype=object),
            "closed_at": pd.DatetimeIndex(checked["closed_at"]).as_unit("ns"),
            "size": checked["size"].to_numpy(dtype=float),
            "tenor_years": checked["tenor_years"].to_numpy(dtype=float),
            "collateral_value": checked["collateral_value"].to_numpy(dtype=float),
            "guarantee_amount": checked["guarantee_amount"].to_numpy(dtype=float),
            "margined": checked["margined"].to_numpy(dtype=bool),
            "defaulted": defaulted,
            "recovery_rate": np.where(defaulted, checked["recovery_rate"].to_numpy(), 0.0),
            "row": trades.index,
        }
    )


def read_external(external: pd.DataFrame, *, source: str = "external ratings") -> pd.DataFrame:
    """External ratings table -> ``counterparty``, ``as_of`` (timestamp), ``external`` (score)."""
    checked = validate(external, EXTERNAL_RATINGS, source=source)
    return pd.DataFrame(
        {
            "counterparty": checked["counterparty"].to_numpy(dtype=object),
            "as_of": pd.DatetimeIndex(checked["as_of"]).as_unit("ns"),
            "external": scores_of(checked["rating"], source=source, field="rating"),
        }
    ).sort_values(["as_of", "counterparty"], kind="stable")


def _external_in_force(events: pd.DataFrame, external: pd.DataFrame, source: str) -> np.ndarray:
    """External score in force at each event's ``closed_at`` (rows aligned with ``events``).

    ``events`` carries ``code`` (counterparty code), ``closed_at`` and ``row`` (input label);
    ``external`` is :func:`read_external` output with ``code`` added (-1: no trades).
    """
    keyed = events[["code", "closed_at"]].assign(position=np.arange(len(events)))
    merged = pd.merge_asof(
        keyed.sort_values("closed_at", kind="stable"),
        external.loc[external["code"] >= 0, ["code", "as_of", "external"]],
        left_on="closed_at",
        right_on="as_of",
        by="code",
        direction="backward",
    ).sort_values("position")
    scores = merged["external"].to_numpy(dtype=float)
    missing = np.isnan(scores)
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise InputError(
            "no external rating in force when the trade closed (post one with an earlier as_of)",
            source=source,
            row=events["row"].iloc[position],
            field="closed_at",
            value=str(events["closed_at"].iloc[position]),
        )
    return scores


def replay_trades(
    trades: pd.DataFrame,
    *,
    external: pd.DataFrame | None = None,
    model: InternalRatingModel | None = None,
    alpha: float = DEFAULT_ALPHA,
    anchor: float = DEFAULT_ANCHOR,
    source: str = "trades",
    external_source: str = "external ratings",
) -> pd.DataFrame:
    """Rating path of every counterparty: one row per closed trade, in closing order.

    ``trades`` has the columns of :data:`TRADE_COLUMNS`; ``external`` those of
    :data:`EXTERNAL_COLUMNS` (read with :func:`read_external`). Each counterparty's anchor is
    its external rating in force at its first closed trade; without an external table, every
    anchor is ``anchor`` and stands in for the external rating in the composite. Trades of a
    counterparty that close at the same time are taken in the order of the input rows (the
    ledger's event order).

    Returns :data:`PATH_COLUMNS`, sorted by counterparty then closing time: the internal rating
    just before and just after each trade (``internal_before`` includes the decay since the
    previous trade), the external rating in force, the composite, their grades, the
    governance ``credit_score`` and the composite's one-year ``pd``. ``anchor`` and
    ``evidence`` (decayed evidence weight) with ``internal`` form the state to resume from
    (:class:`InternalRating`). Vectorized across counterparties: the decayed sums are
    cumulative sums of ``w * s * exp(t / tau)`` per counterparty.
    """
    model = model or InternalRatingModel()
    events = _read_trades(trades, source)
    codes, names = pd.factorize(events["counterparty"])
    trade_codes, _ = pd.factorize(events["trade_id"])
    duplicated = (
        pd.Series(codes.astype(np.int64) * (len(events) + 1) + trade_codes).duplicated().to_numpy()
    )
    if duplicated.any():
        fail_at(trades, duplicated, "trade_id", "trade listed twice for this counterparty", source)
    order = np.lexsort((events["closed_at"].to_numpy(), codes))  # stable: ties keep input order
    events = events.iloc[order].reset_index(drop=True)
    events["code"] = codes[order]
    if external is not None:
        ext = read_external(external, source=external_source)
        ext["code"] = pd.Index(names).get_indexer(ext["counterparty"]).astype(np.int64)
        events["external"] = _external_in_force(events, ext, source)
    else:
        events["external"] = float(scores_of([anchor], source="anchor")[0])

    group = events.groupby("code", sort=False)
    start = group["closed_at"].transform("min")
    years = (
        (events["closed_at"] - start).dt.total_seconds() / (DAYS_PER_YEAR * 86400.0)
    ).to_numpy()
    exponent = model.decay_rate * years
    too_long = exponent > MAX_DECAY_EXPONENT
    if too_long.any():
        limit = f"history longer than {MAX_DECAY_EXPONENT:g} decay times; raise half_life_years"
        fail_at(events.set_index("row"), too_long, "closed_at", limit, source)
    weight, outcome = model.evidence(
        events["size"].to_numpy(),
        events["tenor_years"].to_numpy(),
        events["collateral_value"].to_numpy(),
        events["guarantee_amount"].to_numpy(),
        events["margined"].to_numpy(),
        events["defaulted"].to_numpy(),
        events["recovery_rate"].to_numpy(),
    )
    growth = np.exp(exponent)
    decay = np.exp(-exponent)
    keys = events["code"].to_numpy()
    outcomes_sum = decay * pd.Series(weight * outcome * growth).groupby(keys).cumsum().to_numpy()
    evidence = decay * pd.Series(weight * growth).groupby(keys).cumsum().to_numpy()
    anchor_score = group["external"].transform("first").to_numpy()
    w0 = model.anchor_weight
    internal = np.clip((w0 * anchor_score + outcomes_sum) / (w0 + evidence), MIN_SCORE, MAX_SCORE)
    before = np.clip(
        (w0 * anchor_score + outcomes_sum - weight * outcome) / (w0 + evidence - weight),
        MIN_SCORE,
        MAX_SCORE,
    )
    closed = group.cumcount().to_numpy() + 1
    composite = composite_score(events["external"].to_numpy(), internal, closed, alpha=alpha)
    return pd.DataFrame(
        {
            "counterparty": events["counterparty"],
            "trade_id": events["trade_id"],
            "closed_at": events["closed_at"],
            "closed_trades": closed,
            "defaulted": events["defaulted"],
            "evidence_weight": weight,
            "anchor": anchor_score,
            "evidence": evidence,
            "internal_before": before,
            "internal": internal,
            "internal_grade": grade_of(internal),
            "external": events["external"],
            "composite": composite,
            "composite_grade": grade_of(composite),
            "credit_score": credit_score(composite),
            "pd": pd_of_scores(composite),
        }
    )[PATH_COLUMNS]


CURRENT_COLUMNS = [
    "counterparty",
    "as_of",
    "closed_trades",
    "internal",
    "internal_grade",
    "external",
    "composite",
    "composite_grade",
    "credit_score",
    "pd",
]


def current_ratings(
    path: pd.DataFrame,
    *,
    external: pd.DataFrame | None = None,
    as_of: pd.Timestamp | str | None = None,
    model: InternalRatingModel | None = None,
    alpha: float = DEFAULT_ALPHA,
    anchor: float = DEFAULT_ANCHOR,
    external_source: str = "external ratings",
) -> pd.DataFrame:
    """Ratings of every counterparty as of one time, from a :func:`replay_trades` path.

    ``as_of`` defaults to the latest time in the path and the external table. The internal
    rating is the last one decayed to ``as_of`` (stale evidence drifts back to the anchor); the
    external rating is the one in force at ``as_of``. Counterparties with an external rating
    but no closed trade get the external rating as composite (seed 003) and NaN internal.
    Columns: :data:`CURRENT_COLUMNS`.
    """
    model = model or InternalRatingModel()
    ext = read_external(external, source=external_source) if external is not None else None
    if as_of is None:
        times = [path["closed_at"].max()] + ([ext["as_of"].max()] if ext is not None else [])
        as_of = max(t for t in times if pd.notna(t))
    try:
        as_of = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise InputError("not a date/time", field="as_of", value=as_of) from None
    if as_of.tzinfo is not None:
        as_of = as_of.tz_convert(None)
    last = path.groupby("counterparty", sort=True).tail(1).set_index("counterparty")
    if (last["closed_at"] > as_of).any():
        raise InputError("as_of is before the last closed trade", field="as_of", value=str(as_of))
    if ext is not None:
        in_force = ext[ext["as_of"] <= as_of].groupby("counterparty")["external"].last()
        names = in_force.index.union(last.index)
    else:
        in_force = pd.Series(float(scores_of([anchor], source="anchor")[0]), index=last.index)
        names = last.index
    table = pd.DataFrame(index=names.rename("counterparty"))
    table["closed_trades"] = last["closed_trades"].reindex(names).fillna(0).astype(int)
    table["external"] = in_force.reindex(names)
    unrated = table["external"].isna()
    if unrated.any():
        raise InputError(
            "no external rating in force at as_of",
            source=external_source,
            row=table.index[unrated.to_numpy()][0],
            field="as_of",
            value=str(as_of),
        )
    w0 = model.anchor_weight
    held = last.reindex(names)
    elapsed = (as_of - held["closed_at"]).dt.total_seconds().to_numpy() / (DAYS_PER_YEAR * 86400.0)
    decay = np.exp(-model.decay_rate * elapsed)
    outcomes_sum = (
        held["internal"].to_numpy() * (w0 + held["evidence"].to_numpy())
        - w0 * held["anchor"].to_numpy()
    )
    table["internal"] = (w0 * held["anchor"].to_numpy() + outcomes_sum * decay) / (
        w0 + held["evidence"].to_numpy() * decay
    )
    table["internal_grade"] = np.where(
        table["internal"].isna(), None, grade_of(table["internal"].fillna(0))
    )
    table["composite"] = composite_score(
        table["external"].to_numpy(),
        table["internal"].fillna(0).to_numpy(),
        table["closed_trades"],
        alpha=alpha,
    )
    table["composite_grade"] = grade_of(table["composite"].to_numpy())
    table["credit_score"] = credit_score(table["composite"].to_numpy())
    table["pd"] = pd_of_scores(table["composite"].to_numpy())
    table["as_of"] = as_of
    return table.reset_index()[CURRENT_COLUMNS]
