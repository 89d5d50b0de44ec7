"""Reserve rule sets for a basket coin's reserve, run like a money-market fund (on-ledger).

Deterministic: integers only (values in minor units of the reserve's reporting unit, days as
integers, limits in basis points), no floats, no clock, no I/O. Business days are those of the
shared US calendar (Federal Reserve holidays, :mod:`glassledger.contracts.business_days`).
The basket contract calls
:func:`check_portfolio` (or :func:`check_investment`) inside a transaction; a breach raises
:class:`glassledger.errors.ContractError` naming the rule and the figures, so the transaction
is rolled back.

Rule sets are versioned classes that override only what changed (py-evm forks, STYLE.md
lesson 6); every limit is a class attribute and can also be overridden per instance
(``Rule2a7v2023(max_wam_days=45)``). Readings of the rules (17 CFR 270.2a-7):

* :class:`ReserveRuleSet` -- the base: every limit ``None`` (not applied); also the
  eligible issuers per currency (``eligible_issuers``: (currency, issuer) pairs), a capital
  buffer and the stable-NAV tolerance (1/2 of 1%, :func:`nav_per_unit_bps`);
* :class:`Rule2a7v2010` -- amendments of Feb 23, 2010 (Release IC-29132): WAM <= 60 days
  (was 90), new WAL <= 120 days, daily liquid assets >= 10% and weekly >= 30% (taxable funds),
  securities of at most 397 days, at most 5% of assets in one issuer (government securities
  exempt). Daily liquid assets mature within one business day, weekly liquid assets within
  five business days (17 CFR 270.2a-7(a), "daily liquid assets" and "weekly liquid assets");
  agency discount notes with a remaining maturity of 60 days or less are weekly liquid
  (item (iii) of "weekly liquid assets");
* :class:`Rule2a7v2014` -- amendments of Jul 23, 2014 (Release IC-31166): liquidity fees and
  redemption gates: below 30% weekly liquid assets the board may impose a fee of up to 2% or
  suspend redemptions (gate, up to 10 business days in 90 days); below 10% a 1% fee applies
  unless the board decides otherwise; floating NAV for institutional prime funds;
* :class:`Rule2a7v2023` -- amendments of Jul 12, 2023 (Release IC-34959): daily liquid assets
  >= 25%, weekly >= 50%; gates removed and fees no longer tied to liquidity thresholds;
  mandatory liquidity fee for institutional prime and institutional tax-exempt funds when
  daily net redemptions exceed 5% of net assets (the estimated liquidity cost, or 1% when it
  cannot be estimated), compared exactly (26 of 519 units, 5.0096%, pays the fee);
  discretionary fee of up to 2% for other non-government funds;
* :class:`MiCAReserve` -- Regulation (EU) 2023/1114 (MiCA) art. 36 and the EBA regulatory
  technical standards on the liquidity of the reserve of assets, as we read them: for each
  referenced official currency at least 30% of the reserve held as deposits with credit
  institutions (60% for a significant token, :class:`MiCASignificantReserve`), at least 10% of
  the reserve maturing daily and 30% weekly;
* :class:`GeniusReserve` -- the US GENIUS Act (2025) with the OCC's proposed safe harbour:
  eligible assets, 10% daily / 30% weekly liquidity on business days, 40% per institution,
  WAM <= 20 days, 1:1 backing, redemption within 2 business days (see its docstring).

Not modelled (left as parameters to add): second-tier security limits, illiquid-security caps,
affiliate aggregation, guarantees and demand features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from glassledger.contracts.business_days import add_business_days, weekday  # noqa: F401 (re-exported)
from glassledger.errors import ContractError

#: Kinds of reserve assets known to the rule sets.
DEPOSIT = "deposit"
GOVERNMENT = "government"
GOVERNMENT_REPO = "government_repo"
AGENCY = "agency"
#: Agency discount notes: issued at a discount by a US government instrumentality, no coupon.
AGENCY_DISCOUNT_NOTE = "agency_discount_note"
REPO = "repo"
COMMERCIAL_PAPER = "commercial_paper"
CERTIFICATE_OF_DEPOSIT = "certificate_of_deposit"
MONEY_MARKET_KINDS = frozenset(
    {
        DEPOSIT,
        GOVERNMENT,
        GOVERNMENT_REPO,
        AGENCY,
        AGENCY_DISCOUNT_NOTE,
        REPO,
        COMMERCIAL_PAPER,
        CERTIFICATE_OF_DEPOSIT,
    }
)


@dataclass(frozen=True)
class Holding:
    """One reserve holding.

    ``amount``: minor units of ``currency``; ``value``: its value in minor units of the
    reserve's reporting unit (the contract converts at oracle rates), used for every
    value-weighted figure; ``reset_day``: next interest-rate reset (equal to
    ``maturity_day`` for a fixed-rate asset); ``maturity_day``: final maturity. Days are
    integers on the ledger's day count. ``daily_liquid`` / ``weekly_liquid``: the asset counts
    as daily / weekly liquid whatever its maturity (cash, direct government obligations)."""

    currency: str
    issuer: str
    kind: str
    amount: int
    value: int
    reset_day: int
    maturity_day: int
    daily_liquid: bool = False
    weekly_liquid: bool = False

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Holding:
        """Build a holding from a state record (a codec map with the same field names)."""
        return cls(**{name: record[name] for name in cls.__dataclass_fields__ if name in record})


@dataclass(frozen=True)
class Violation:
    """A rule a portfolio breaks: ``rule`` names the limit, ``message`` gives the figures."""

    rule: str
    message: str


@dataclass(frozen=True)
class Ratio:
    """An exact share ``part / whole`` of two integers (``whole > 0``), compared with limits
    in basis points by cross-multiplying: nothing is rounded before a test."""

    part: int
    whole: int

    def above_bps(self, limit_bps: int) -> bool:
        """True when the share is strictly more than ``limit_bps`` basis points."""
        return 10_000 * self.part > limit_bps * self.whole

    def below_bps(self, limit_bps: int) -> bool:
        """True when the share is strictly less than ``limit_bps`` basis points."""
        return 10_000 * self.part < limit_bps * self.whole

    def floor_bps(self) -> int:
        """The share in whole basis points, rounded down (for display and events only)."""
        return 10_000 * self.part // self.whole


@dataclass(frozen=True)
class RedemptionTerms:
    """What applies to redemptions today: ``fee_bps`` charged unless the board decides
    otherwise, ``max_fee_bps`` the most the board may charge, ``gate_permitted`` whether
    redemptions may be suspended."""

    fee_bps: int
    max_fee_bps: int
    gate_permitted: bool


class ReserveRuleSet:
    """No limits at all; the versions below set what they need. ``None`` = limit not applied."""

    name: ClassVar[str] = "no reserve rules"
    max_wam_days: int | None = None
    max_wal_days: int | None = None
    max_maturity_days: int | None = None
    min_daily_liquid_bps: int | None = None
    min_weekly_liquid_bps: int | None = None
    daily_horizon_business_days: int = 1
    weekly_horizon_business_days: int = 5
    #: Agency discount notes maturing within this many calendar days are weekly liquid.
    agency_discount_note_weekly_days: int | None = None
    #: Gates: at most this many business days in any ``gate_window_days`` calendar days.
    gate_max_business_days: int | None = None
    gate_window_days: int = 90
    max_issuer_bps: int | None = None
    issuer_limit_exempt_kinds: frozenset[str] = frozenset()
    eligible_kinds: frozenset[str] | None = None
    eligible_issuers: frozenset[tuple[str, str]] | None = None
    min_deposit_share_per_currency_bps: int | None = None
    min_capital_buffer_bps: int | None = None
    floating_nav_institutional_prime: bool = False
    stable_nav_tolerance_bps: int = 50

    def __init__(self, **overrides: Any) -> None:
        for key, value in overrides.items():
            if key == "name" or not hasattr(type(self), key):
                raise ContractError(f"{self.name}: unknown reserve rule parameter {key!r}")
            if isinstance(value, float):
                raise ContractError(
                    f"{self.name}: parameter {key} must be an integer, got {value!r}"
                )
            setattr(self, key, value)

    def redemption_terms(
        self,
        *,
        weekly_liquid: Ratio,
        net_redemptions: Ratio,
        institutional: bool,
        government_fund: bool = False,
        estimated_cost_bps: int | None = None,
    ) -> RedemptionTerms:
        """Fees and gates available today. ``weekly_liquid``: weekly liquid assets over total
        assets; ``net_redemptions``: the day's net redemptions over net assets at the start of
        the day (both exact ratios). No fees, no gates unless a version says so."""
        return RedemptionTerms(fee_bps=0, max_fee_bps=0, gate_permitted=False)

    def extra_violations(self, holdings: list[Holding], today: int) -> list[Violation]:
        """Rules a version adds beyond the shared checks (none here); see
        :class:`GeniusReserve`."""
        return []


class Rule2a7v2010(ReserveRuleSet):
    """SEC Rule 2a-7 as amended in 2010."""

    name: ClassVar[str] = "Rule 2a-7 (2010)"
    max_wam_days = 60
    max_wal_days = 120
    max_maturity_days = 397
    min_daily_liquid_bps = 1_000
    min_weekly_liquid_bps = 3_000
    max_issuer_bps = 500
    issuer_limit_exempt_kinds = frozenset({GOVERNMENT, GOVERNMENT_REPO})
    eligible_kinds = MONEY_MARKET_KINDS
    agency_discount_note_weekly_days = 60


class Rule2a7v2014(Rule2a7v2010):
    """SEC Rule 2a-7 as amended in 2014: liquidity fees and redemption gates."""

    name: ClassVar[str] = "Rule 2a-7 (2014)"
    #: A gate suspends redemptions for at most 10 business days in any 90-day period
    #: (17 CFR 270.2a-7(c)(2)(ii)(B) as amended in 2014).
    gate_max_business_days = 10
    fee_gate_trigger_weekly_bps: int = 3_000
    default_fee_trigger_weekly_bps: int = 1_000
    default_fee_bps: int = 100
    max_fee_bps: int = 200
    floating_nav_institutional_prime = True

    def redemption_terms(
        self,
        *,
        weekly_liquid: Ratio,
        net_redemptions: Ratio,
        institutional: bool,
        government_fund: bool = False,
        estimated_cost_bps: int | None = None,
    ) -> RedemptionTerms:
        """Below the 30% weekly trigger the board may charge up to 2% or gate; below 10% a 1%
        fee applies by default. Government funds are not subject to fees and gates."""
        if government_fund or not weekly_liquid.below_bps(self.fee_gate_trigger_weekly_bps):
            return RedemptionTerms(0, 0, False)
        default = (
            self.default_fee_bps
            if weekly_liquid.below_bps(self.default_fee_trigger_weekly_bps)
            else 0
        )
        return RedemptionTerms(default, self.max_fee_bps, True)


class Rule2a7v2023(Rule2a7v2014):
    """SEC Rule 2a-7 as amended in 2023: higher liquidity minimums, no gates, mandatory fees."""

    name: ClassVar[str] = "Rule 2a-7 (2023)"
    min_daily_liquid_bps = 2_500
    min_weekly_liquid_bps = 5_000
    gate_max_business_days = None  # gates removed
    mandatory_fee_trigger_bps: int = 500

    def redemption_terms(
        self,
        *,
        weekly_liquid: Ratio,
        net_redemptions: Ratio,
        institutional: bool,
        government_fund: bool = False,
        estimated_cost_bps: int | None = None,
    ) -> RedemptionTerms:
        """Institutional non-government funds charge a mandatory fee (the estimated liquidity
        cost, 1% by default) when net redemptions exceed 5% of net assets; the board of any
        non-government fund may charge up to 2%. Gates are no longer permitted."""
        if government_fund:
            return RedemptionTerms(0, 0, False)
        fee = 0
        if institutional and net_redemptions.above_bps(self.mandatory_fee_trigger_bps):
            fee = self.default_fee_bps if estimated_cost_bps is None else estimated_cost_bps
        return RedemptionTerms(fee, max(self.max_fee_bps, fee), False)


class MiCAReserve(ReserveRuleSet):
    """EU MiCA reserve of assets of an asset-referenced token (our reading, see module doc)."""

    name: ClassVar[str] = "MiCA art. 36"
    min_deposit_share_per_currency_bps: int | None = 3_000
    min_daily_liquid_bps = 1_000
    min_weekly_liquid_bps = 3_000
    eligible_kinds = frozenset({DEPOSIT, GOVERNMENT, GOVERNMENT_REPO})


class MiCASignificantReserve(MiCAReserve):
    """MiCA, significant asset-referenced token: 60% deposits per referenced currency."""

    name: ClassVar[str] = "MiCA art. 36 (significant token)"
    min_deposit_share_per_currency_bps = 6_000


#: Kinds of reserve assets the GENIUS Act adds (sec. 4(a)(1)(A)).
CURRENCY = "currency"
RESERVE_BALANCE = "reserve_balance"
GOVERNMENT_MONEY_FUND = "government_money_fund"


class GeniusReserve(ReserveRuleSet):
    """US GENIUS Act (Pub. L. 119-27, 2025) reserve of a payment stable coin, with the OCC's
    proposed quantitative safe harbour (12 CFR part 15, proposed Feb 2026), as we read them
    (docs/decisions.md cites the texts):

    * eligible reserve assets (Act sec. 4(a)(1)(A)): coins and currency, balances at a Federal
      Reserve Bank, demand deposits at insured depository institutions, Treasury bills, notes
      and bonds with at most 93 days to maturity, overnight repo and reverse repo on them,
      government money market funds investing in those;
    * at least 10% of reserve assets as daily liquidity (flagged assets or receivable within
      one business day) and 30% as weekly liquidity (within five business days);
    * at most 40% of reserve assets at any one eligible financial institution (deposits, repo
      counterparties, fund sponsors; Treasury securities, currency and Federal Reserve
      balances are not held "at" an institution and are exempt);
    * weighted average maturity of at most 20 days;
    * reserves at least equal to the coins outstanding (1:1, :func:`check_backing`);
    * redemption at par within two business days (:meth:`redemption_deadline`).

    Business days are the shared US calendar (:mod:`glassledger.contracts.business_days`).
    """

    name: ClassVar[str] = "GENIUS Act / OCC safe harbour"
    eligible_kinds = frozenset(
        {CURRENCY, RESERVE_BALANCE, DEPOSIT, GOVERNMENT, GOVERNMENT_REPO, GOVERNMENT_MONEY_FUND}
    )
    max_maturity_days = 93
    max_wam_days = 20
    max_issuer_bps = 4_000
    issuer_limit_exempt_kinds = frozenset({GOVERNMENT, CURRENCY, RESERVE_BALANCE})
    min_daily_liquid_bps = 1_000
    min_weekly_liquid_bps = 3_000
    daily_horizon_business_days = 1
    weekly_horizon_business_days = 5
    repo_max_business_days: int = 1
    min_backing_bps: int = 10_000
    redemption_business_days: int = 2

    def extra_violations(self, holdings: list[Holding], today: int) -> list[Violation]:
        """Repo must be overnight (mature by the next business day)."""
        last = add_business_days(today, self.repo_max_business_days)
        return [
            Violation(
                "overnight repo",
                f"holding {index}: repo maturing on day {h.maturity_day} is not overnight "
                f"(next business day {last}) under {self.name}",
            )
            for index, h in enumerate(holdings)
            if h.kind == GOVERNMENT_REPO and h.maturity_day > last
        ]

    def redemption_deadline(self, today: int) -> int:
        """The last day a redemption requested on ``today`` may be paid (at par)."""
        return add_business_days(today, self.redemption_business_days)


def check_backing(reserve_value: int, outstanding: int, rules: ReserveRuleSet) -> None:
    """Raise ``ContractError`` when the reserve is worth less than ``min_backing_bps`` of the
    coins outstanding (both in minor units of the same currency)."""
    minimum = getattr(rules, "min_backing_bps", None)
    if minimum is not None and 10_000 * reserve_value < minimum * outstanding:
        raise ContractError(
            f"reserve {reserve_value} backs {outstanding} coins outstanding below the "
            f"{_pct(minimum)} minimum of {rules.name}"
        )


# --- integer figures -------------------------------------------------------------------------


def round_half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (non-negative ints)."""
    return (2 * numerator + denominator) // (2 * denominator)


def weighted_days(holdings: list[Holding], today: int, *, to_reset: bool) -> tuple[int, int]:
    """(sum value x days, sum value): days to the earlier of reset and maturity when
    ``to_reset`` (WAM), to final maturity otherwise (WAL)."""
    total = sum(h.value for h in holdings)
    weighted = sum(
        h.value * ((min(h.reset_day, h.maturity_day) if to_reset else h.maturity_day) - today)
        for h in holdings
    )
    return weighted, total


def wam_days(holdings: list[Holding], today: int) -> int:
    """Weighted average maturity in whole days (rounded half up), using reset dates."""
    return round_half_up_div(*weighted_days(holdings, today, to_reset=True))


def wal_days(holdings: list[Holding], today: int) -> int:
    """Weighted average life in whole days (rounded half up), using final maturities."""
    return round_half_up_div(*weighted_days(holdings, today, to_reset=False))


def liquid_value(
    holdings: list[Holding],
    today: int,
    *,
    business_days: int,
    weekly: bool,
    agency_discount_note_days: int | None = None,
) -> int:
    """Value of the daily (or weekly) liquid assets on day ``today``: flagged ones, those
    maturing within ``business_days`` US business days (a Friday-to-Monday maturity is within
    one), and, when ``weekly`` and ``agency_discount_note_days`` is set, agency discount notes
    with at most that many calendar days to maturity."""
    horizon_end = add_business_days(today, business_days)

    def liquid(h: Holding) -> bool:
        if h.weekly_liquid if weekly else h.daily_liquid:
            return True
        if h.maturity_day <= horizon_end:
            return True
        return (
            weekly
            and agency_discount_note_days is not None
            and h.kind == AGENCY_DISCOUNT_NOTE
            and h.maturity_day - today <= agency_discount_note_days
        )

    return sum(h.value for h in holdings if liquid(h))


def daily_liquid_value(holdings: list[Holding], today: int, rules: ReserveRuleSet) -> int:
    """Daily liquid assets under ``rules`` (see :func:`liquid_value`)."""
    return liquid_value(
        holdings, today, business_days=rules.daily_horizon_business_days, weekly=False
    )


def weekly_liquid_value(holdings: list[Holding], today: int, rules: ReserveRuleSet) -> int:
    """Weekly liquid assets under ``rules`` (see :func:`liquid_value`)."""
    return liquid_value(
        holdings,
        today,
        business_days=rules.weekly_horizon_business_days,
        weekly=True,
        agency_discount_note_days=rules.agency_discount_note_weekly_days,
    )


def share_bps(part: int, total: int) -> int:
    """part / total in basis points, rounded half up."""
    return round_half_up_div(10_000 * part, total)


# --- checks ----------------------------------------------------------------------------------


def violations(holdings: list[Holding], today: int, rules: ReserveRuleSet) -> list[Violation]:
    """Every rule of ``rules`` the portfolio breaks on day ``today`` (empty list = compliant).

    Limits are compared exactly (cross-multiplied integers); the figures in the messages are
    rounded for reading, with as many digits as it takes to show the breach."""
    found = _malformed(holdings, today)
    if found or not holdings:
        return found or [Violation("portfolio", "the reserve portfolio is empty")]
    found += _eligibility(holdings, today, rules)
    found += _maturity_limits(holdings, today, rules)
    found += _liquidity_minimums(holdings, today, rules)
    found += _issuer_concentration(holdings, rules)
    found += _deposit_shares(holdings, rules)
    found += rules.extra_violations(holdings, today)
    return found


def check_portfolio(holdings: list[Holding], today: int, rules: ReserveRuleSet) -> None:
    """Raise ``ContractError`` listing every breach of ``rules``; return quietly otherwise."""
    found = violations(holdings, today, rules)
    if found:
        raise ContractError("; ".join(v.message for v in found))


def check_investment(
    holdings: list[Holding], investment: Holding, today: int, rules: ReserveRuleSet
) -> None:
    """Reject an investment that would leave the reserve breaking ``rules``."""
    check_portfolio([*holdings, investment], today, rules)


def check_capital_buffer(equity: int, total_assets: int, rules: ReserveRuleSet) -> None:
    """Raise ``ContractError`` when equity is below ``min_capital_buffer_bps`` of assets."""
    minimum = rules.min_capital_buffer_bps
    if minimum is not None and 10_000 * equity < minimum * total_assets:
        raise ContractError(
            f"capital buffer {_pct_breach(equity, total_assets, minimum, above=False)} is below "
            f"the {_pct(minimum)} minimum of {rules.name}"
        )


def nav_per_unit_bps(
    net_assets: int, units: int, rules: ReserveRuleSet, *, institutional_prime: bool
) -> int:
    """Price of one unit (coin or fund share) in basis points of its $1.0000 par.

    ``net_assets``: minor units of the reporting unit at market value; ``units``: units
    outstanding, in minor units of the same scale (so par is 10,000 bps). A floating-NAV fund
    (institutional prime funds from 2014) prices at market, rounded to the basis point
    ($1.0000). A stable-NAV fund keeps $1.00 while the market-based ("shadow") price stays within
    ``stable_nav_tolerance_bps`` (1/2 of 1%) of par; beyond it the stable price can no longer be
    kept ("breaking the buck") and ``ContractError`` is raised."""
    if units <= 0 or net_assets < 0:
        raise ContractError("units outstanding must be positive and net assets non-negative")
    shadow = round_half_up_div(10_000 * net_assets, units)
    if rules.floating_nav_institutional_prime and institutional_prime:
        return shadow
    if abs(shadow - 10_000) > rules.stable_nav_tolerance_bps:
        raise ContractError(
            f"market-based price {shadow // 10_000}.{shadow % 10_000:04d} deviates from $1.00 by "
            f"more than {_pct(rules.stable_nav_tolerance_bps)} under {rules.name}: "
            "the stable price cannot be kept"
        )
    return 10_000


def _malformed(holdings: list[Holding], today: int) -> list[Violation]:
    found = []
    for index, h in enumerate(holdings):
        if not all(
            isinstance(x, int) and not isinstance(x, bool)
            for x in (h.amount, h.value, h.reset_day, h.maturity_day)
        ):
            found.append(
                Violation("holding", f"holding {index}: amount, value and days must be integers")
            )
        elif h.amount <= 0 or h.value <= 0:
            found.append(
                Violation("holding", f"holding {index}: amount and value must be positive")
            )
        elif not today <= h.reset_day <= h.maturity_day or h.maturity_day <= today:
            found.append(
                Violation(
                    "holding",
                    f"holding {index}: days must satisfy today {today} <= reset {h.reset_day} "
                    f"<= maturity {h.maturity_day} and maturity > today",
                )
            )
    return found


def _eligibility(holdings: list[Holding], today: int, rules: ReserveRuleSet) -> list[Violation]:
    found = []
    for index, h in enumerate(holdings):
        if rules.eligible_kinds is not None and h.kind not in rules.eligible_kinds:
            found.append(
                Violation(
                    "eligible assets",
                    f"holding {index}: kind {h.kind!r} is not eligible under {rules.name}",
                )
            )
        if (
            rules.eligible_issuers is not None
            and (h.currency, h.issuer) not in rules.eligible_issuers
        ):
            found.append(
                Violation(
                    "eligible issuers",
                    f"holding {index}: issuer {h.issuer!r} is not eligible for the {h.currency} "
                    f"reserve under {rules.name}",
                )
            )
        if rules.max_maturity_days is not None and h.maturity_day - today > rules.max_maturity_days:
            found.append(
                Violation(
                    "maximum maturity",
                    f"holding {index}: maturity {h.maturity_day - today} days exceeds the "
                    f"{rules.max_maturity_days}-day limit of {rules.name}",
                )
            )
    return found


def _maturity_limits(holdings: list[Holding], today: int, rules: ReserveRuleSet) -> list[Violation]:
    found = []
    for label, limit, to_reset in (
        ("WAM", rules.max_wam_days, True),
        ("WAL", rules.max_wal_days, False),
    ):
        weighted, total = weighted_days(holdings, today, to_reset=to_reset)
        if limit is not None and weighted > limit * total:
            found.append(
                Violation(
                    label,
                    f"{label} {_breach(weighted, total, limit, 1, above=True, decimals=1)} "
                    f"days exceeds the {limit}-day limit of {rules.name}",
                )
            )
    return found


def _liquidity_minimums(
    holdings: list[Holding], today: int, rules: ReserveRuleSet
) -> list[Violation]:
    found = []
    total = sum(h.value for h in holdings)
    for label, minimum, value in (
        ("daily liquid assets", rules.min_daily_liquid_bps, daily_liquid_value),
        ("weekly liquid assets", rules.min_weekly_liquid_bps, weekly_liquid_value),
    ):
        liquid = value(holdings, today, rules)
        if minimum is not None and 10_000 * liquid < minimum * total:
            found.append(
                Violation(
                    label,
                    f"{label} {_pct_breach(liquid, total, minimum, above=False)} are below the "
                    f"{_pct(minimum)} minimum of {rules.name}",
                )
            )
    return found


def _issuer_concentration(holdings: list[Holding], rules: ReserveRuleSet) -> list[Violation]:
    if rules.max_issuer_bps is None:
        return []
    total = sum(h.value for h in holdings)
    by_issuer: dict[str, int] = {}
    for h in holdings:
        if h.kind not in rules.issuer_limit_exempt_kinds:
            by_issuer[h.issuer] = by_issuer.get(h.issuer, 0) + h.value
    return [
        Violation(
            "issuer concentration",
            f"issuer {issuer!r} is {_pct_breach(value, total, rules.max_issuer_bps, above=True)} "
            "of the reserve, above the "
            f"{_pct(rules.max_issuer_bps)} limit of {rules.name}",
        )
        for issuer, value in sorted(by_issuer.items())
        if 10_000 * value > rules.max_issuer_bps * total
    ]


def _deposit_shares(holdings: list[Holding], rules: ReserveRuleSet) -> list[Violation]:
    minimum = rules.min_deposit_share_per_currency_bps
    if minimum is None:
        return []
    totals: dict[str, list[int]] = {}
    for h in holdings:
        entry = totals.setdefault(h.currency, [0, 0])
        entry[0] += h.amount if h.kind == DEPOSIT else 0
        entry[1] += h.amount
    return [
        Violation(
            "deposit share",
            f"deposits are {_pct_breach(deposits, total, minimum, above=False)} of the "
            f"{currency} reserve, below "
            f"the {_pct(minimum)} minimum of {rules.name}",
        )
        for currency, (deposits, total) in sorted(totals.items())
        if 10_000 * deposits < minimum * total
    ]


def _decimal(units: int, decimals: int) -> str:
    """An integer count of ``10**-decimals`` as a decimal string, trailing zeros dropped."""
    sign, units = ("-", -units) if units < 0 else ("", units)
    whole, rest = divmod(units, 10**decimals)
    if rest == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{rest:0{decimals}d}".rstrip("0")


def _breach(
    num: int, den: int, limit_num: int, limit_den: int, *, above: bool, decimals: int
) -> str:
    """The figure ``num / den`` for a message about its breach of the limit
    ``limit_num / limit_den`` (``above``: the figure exceeds the limit, else it falls short).

    Rounded half up to ``decimals`` places when that still shows the breach; otherwise
    rounded toward the limit (down when above, up when below) with as many more places as
    it takes for the printed figure to differ from the limit: 60.001 days against a 60-day
    limit prints "60.001", never "60"."""

    def shows(value: int, places: int) -> bool:
        scaled_limit = limit_num * 10**places
        return value * limit_den > scaled_limit if above else value * limit_den < scaled_limit

    rounded = round_half_up_div(num * 10**decimals, den)
    if shows(rounded, decimals):
        return _decimal(rounded, decimals)
    for places in range(decimals, decimals + 40):
        scaled = num * 10**places
        toward = scaled // den if above else -(-scaled // den)
        if shows(toward, places):
            return _decimal(toward, places)
    return f"{num}/{den}"


def _pct_breach(part: int, total: int, limit_bps: int, *, above: bool) -> str:
    """``part / total`` as a percentage showing its breach of ``limit_bps`` (see
    :func:`_breach`): two decimals at most unless more are needed."""
    return _breach(100 * part, total, limit_bps, 100, above=above, decimals=2) + "%"


def _pct(bps: int) -> str:
    """Basis points as a percentage for a message: 2500 -> '25%', 1840 -> '18.4%'."""
    whole, rest = divmod(bps, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"
