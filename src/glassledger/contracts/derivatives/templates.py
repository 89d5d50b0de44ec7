"""Smart derivative templates: one class of payoff each, with configurable parameters.

Seed 003: "each smart derivative contract corresponds to one class of derivative with the same
risk-return structure, whose parameters are configured per trade"; the templates follow the
ISDA Common Domain Model's payouts (``InterestRatePayout``, ``SettlementPayout`` for FX
forwards, ``OptionPayout``, ``CreditDefaultPayout``) and name their lifecycle events after
the CDM's business events.

A template does not move money. It says what is due (:class:`Flow` legs) and the
:mod:`~glassledger.contracts.derivatives.contract` engine settles them through the shared
components (margin accounts, settlement instructions, the ``trades`` register).

Every template's lifecycle is an explicit :class:`Lifecycle` table: the rows common to all
(``valuation``, ``termination``, ``novation``, ``default``) plus its own.

Parameters (``params``) are integers and short strings; units in
:mod:`~glassledger.contracts.derivatives.terms`. The ``price`` a dealer quotes goes to the
template's ``price_field``.

Position: ``long`` is the party that receives the template's payoff: the fixed-rate payer of
a swap (receives float minus fixed), the buyer of the base currency, the option buyer, the
protection buyer. The client's side (``pay_fixed``/``receive_fixed`` or ``buy``/``sell``)
says whether the client is long; the dealer takes the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from glassledger.contracts import oracle
from glassledger.contracts.derivatives.terms import BPS, DAY_MS, E8, YEAR_DAYS, mul_div
from glassledger.errors import ContractError
from glassledger.ledger.abi import Context
from glassledger.ledger.abi.lifecycle import Lifecycle

#: Rows every template shares: a valuation leaves the contract live; termination and
#: novation by agreement, and early termination on a default, close it.
COMMON_ROWS = [
    ("live", "valuation", "live"),
    ("live", "termination", "terminated"),
    ("live", "novation", "novated"),
    ("live", "default", "closed_out"),
]


@dataclass(frozen=True)
class Flow:
    """A payment or delivery the contract owes: ``amount`` minor units of ``symbol``
    (``""``: the netting-set currency) from ``payer`` to ``payee`` (party ids)."""

    payer: str
    payee: str
    amount: int
    symbol: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Step:
    """One lifecycle step a due date produced: the ``event`` fired and the flows it owes;
    ``data`` goes on the emitted event (observed values, payoff)."""

    event: str
    flows: tuple[Flow, ...] = ()
    data: tuple[tuple[str, Any], ...] = ()


Param = tuple[type, Any]  # (type, default; ``...`` = required)


class Template:
    """Base of the templates; subclasses fill the class attributes and the hooks."""

    name: ClassVar[str]
    complexity: ClassVar[int]
    asset_class: ClassVar[str]
    instrument: ClassVar[str] = "LINEAR"
    price_field: ClassVar[str]
    sides: ClassVar[tuple[str, str]] = ("buy", "sell")  # (long side, short side)
    params_schema: ClassVar[dict[str, Param]]
    lifecycle: ClassVar[Lifecycle]

    # -- parameters
    def check(self, ctx: Context, params: dict[str, Any], notional: int, side: str) -> dict:
        """Validated parameters with defaults filled in; :class:`ContractError` naming the
        parameter otherwise."""
        ctx.require(notional > 0, f"{self.name}: notional must be positive, got {notional}")
        ctx.require(side in self.sides, f"{self.name}: side must be one of {self.sides}")
        unknown = set(params) - set(self.params_schema)
        ctx.require(not unknown, f"{self.name}: unknown parameter(s) {sorted(unknown)}")
        out: dict[str, Any] = {}
        for key, (kind, default) in self.params_schema.items():
            if key not in params:
                ctx.require(default is not ..., f"{self.name}: parameter {key!r} is required")
                out[key] = default
                continue
            value = params[key]
            ctx.require(
                type(value) is kind,
                f"{self.name}: parameter {key!r} must be {kind.__name__}, got {value!r}",
            )
            out[key] = value
        self.validate(ctx, out)
        return out

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        """Template-specific checks (subclasses)."""

    def client_long(self, side: str) -> bool:
        return side == self.sides[0]

    # -- schedule and payoff (subclasses)
    def maturity_ms(self, c: dict[str, Any]) -> int:
        raise NotImplementedError

    def setup(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        """Execution: set ``c["due_ms"]`` (next scheduled event, 0: none) and return the
        steps owed at once (an option premium, a swap's first reset)."""
        raise NotImplementedError

    def on_due(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        """The scheduled event at ``c["due_ms"]``: steps fired in order; updates ``due_ms``."""
        raise NotImplementedError

    def im_payers(self, c: dict[str, Any]) -> tuple[str, ...]:
        """Parties that post schedule initial margin for this contract (both, for a linear
        product; the seller only, for an option whose buyer has paid its premium)."""
        return (c["party_a"], c["party_b"])

    def trade_terms(self, c: dict[str, Any]) -> dict[str, Any]:
        """Terms for the ``trades`` register (SA-CCR inputs)."""
        return {"start_ms": c["executed_ms"], "end_ms": c["maturity_ms"]}

    def notional_value(self, c: dict[str, Any]) -> int:
        """Notional in minor units of the netting-set currency (IM schedule, credit usage)."""
        return c["notional"]

    def upi(self, c: dict[str, Any]) -> str:
        """A product identifier in the spirit of the ANNA-DSB UPI: template + underlier."""
        return self.name

    # -- helpers
    @staticmethod
    def long_short(c: dict[str, Any]) -> tuple[str, str]:
        return (c["party_a"], c["party_b"]) if c["a_long"] else (c["party_b"], c["party_a"])

    @staticmethod
    def signed_flow(c: dict[str, Any], amount_to_long: int, reason: str) -> tuple[Flow, ...]:
        """A flow of ``amount_to_long`` to the long party (negative: to the short)."""
        long, short = Template.long_short(c)
        if amount_to_long > 0:
            return (Flow(short, long, amount_to_long, reason=reason),)
        if amount_to_long < 0:
            return (Flow(long, short, -amount_to_long, reason=reason),)
        return ()


def _table(name: str, rows: list[tuple[str, str, str]]) -> Lifecycle:
    return Lifecycle.of(name, initial="live", rows=COMMON_ROWS + rows)


def _read_underlying(ctx: Context, underlying: str) -> int:
    """An oracle price or FX rate at scale 8, from ``"price:<key>"`` or ``"fx:<pair>"``."""
    kind, _, key = underlying.partition(":")
    return oracle.value(ctx, kind, key, 8)


class InterestRateSwap(Template):
    """Fixed/float interest rate swap (CDM ``InterestRatePayout`` x 2).

    ``notional`` in minor units; ``fixed_rate_e8`` is the quoted price; the float leg fixes
    ``float_index`` (oracle ``rate``, scale 8) at the start of each period (reset) and both
    legs pay net at its end, ACT/360 on ``period_days``: the fixed payer (long) receives
    ``notional x (fixing + spread - fixed) x days / 360``. ``periods`` periods from execution.
    """

    name = "irs"
    complexity = 2
    asset_class = "IR"
    price_field = "fixed_rate_e8"
    sides = ("pay_fixed", "receive_fixed")
    params_schema: ClassVar[dict[str, Param]] = {
        "fixed_rate_e8": (int, ...),
        "float_index": (str, "SOFR"),
        "spread_e8": (int, 0),
        "period_days": (int, 90),
        "periods": (int, 4),
    }
    lifecycle = _table(
        "irs",
        [
            ("live", "reset", "live"),
            ("live", "payment", "live"),
            ("live", "maturity", "matured"),
        ],
    )

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.require(1 <= params["period_days"] <= 366, "irs: period_days must be in [1, 366]")
        ctx.require(1 <= params["periods"] <= 400, "irs: periods must be in [1, 400]")

    def maturity_ms(self, c: dict[str, Any]) -> int:
        p = c["params"]
        return c["executed_ms"] + p["period_days"] * p["periods"] * DAY_MS

    def _reset(self, ctx: Context, c: dict[str, Any]) -> Step:
        fixing = oracle.value(ctx, "rate", c["params"]["float_index"], 8)
        c["fixing_e8"] = fixing
        c["period"] = c.get("period", 0) + 1
        return Step("reset", (), (("index", c["params"]["float_index"]), ("fixing_e8", fixing)))

    def setup(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        c["due_ms"] = c["executed_ms"] + c["params"]["period_days"] * DAY_MS
        return [self._reset(ctx, c)]

    def on_due(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        p = c["params"]
        rate = c["fixing_e8"] + p["spread_e8"] - p["fixed_rate_e8"]
        amount = mul_div(c["notional"] * rate, p["period_days"], YEAR_DAYS * E8)
        steps = [
            Step(
                "payment",
                self.signed_flow(c, amount, "coupon"),
                (("period", c["period"]), ("net_to_fixed_payer", amount)),
            )
        ]
        if c["period"] >= p["periods"]:
            c["due_ms"] = 0
            steps.append(Step("maturity"))
        else:
            c["due_ms"] += p["period_days"] * DAY_MS
            steps.append(self._reset(ctx, c))
        return steps

    def upi(self, c: dict[str, Any]) -> str:
        return f"irs:{c['params']['float_index']}"


class FxForward(Template):
    """FX forward (CDM ``SettlementPayout``): ``notional`` in minor units of the base
    currency of ``pair`` (``"EUR/USD"``; the quote currency is the netting-set currency),
    ``forward_rate_e8`` quoted; at ``value_date_ms`` the fixing (oracle ``fx`` of the pair,
    scale 8) is observed. Cash settlement pays the long (base buyer)
    ``notional x (fixing - forward)`` converted to quote minor units; physical settlement
    delivers both currencies against each other (DvP): the long pays
    ``notional x forward`` in the quote currency, the short delivers ``notional`` of the base
    token."""

    name = "fx_forward"
    complexity = 1
    asset_class = "FX"
    price_field = "forward_rate_e8"
    params_schema: ClassVar[dict[str, Param]] = {
        "forward_rate_e8": (int, ...),
        "pair": (str, ...),
        "value_date_ms": (int, ...),
        "base_decimals": (int, 2),
        "settlement": (str, "cash"),
    }
    lifecycle = _table(
        "fx_forward",
        [("live", "observation", "fixed"), ("fixed", "settlement", "settled")],
    )

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        base, _, quote = params["pair"].partition("/")
        ctx.require(bool(base) and bool(quote), "fx_forward: pair must be BASE/QUOTE")
        ctx.require(params["forward_rate_e8"] > 0, "fx_forward: forward_rate_e8 must be > 0")
        ctx.require(params["value_date_ms"] > ctx.time_ms, "fx_forward: value date has passed")
        ctx.require(params["settlement"] in ("cash", "physical"), "settlement: cash or physical")
        ctx.require(0 <= params["base_decimals"] <= 18, "fx_forward: base_decimals in [0, 18]")

    def maturity_ms(self, c: dict[str, Any]) -> int:
        return c["params"]["value_date_ms"]

    def setup(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        c["due_ms"] = c["params"]["value_date_ms"]
        return []

    def _quote_amount(self, c: dict[str, Any], rate_e8: int) -> int:
        """Quote-currency minor units worth ``notional`` base minor units at ``rate_e8``."""
        p = c["params"]
        return mul_div(c["notional"] * rate_e8, 10 ** c["decimals"], 10 ** p["base_decimals"] * E8)

    def on_due(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        p = c["params"]
        fixing = oracle.value(ctx, "fx", p["pair"], 8)
        c["due_ms"] = 0
        observed = Step("observation", (), (("pair", p["pair"]), ("fixing_e8", fixing)))
        if p["settlement"] == "cash":
            payoff = self._quote_amount(c, fixing) - self._quote_amount(c, p["forward_rate_e8"])
            flows = self.signed_flow(c, payoff, "cash settlement")
            return [observed, Step("settlement", flows, (("payoff_to_long", payoff),))]
        long, short = self.long_short(c)
        base = p["pair"].partition("/")[0]
        flows = (
            Flow(long, short, self._quote_amount(c, p["forward_rate_e8"]), reason="delivery"),
            Flow(short, long, c["notional"], symbol=base, reason="delivery"),
        )
        return [observed, Step("settlement", flows, (("physical", True),))]

    def notional_value(self, c: dict[str, Any]) -> int:
        return self._quote_amount(c, c["params"]["forward_rate_e8"])

    def trade_terms(self, c: dict[str, Any]) -> dict[str, Any]:
        return super().trade_terms(c) | {"currency_pair": c["params"]["pair"]}

    def upi(self, c: dict[str, Any]) -> str:
        return f"fx_forward:{c['params']['pair']}"


class EuropeanOption(Template):
    """European call or put (CDM ``OptionPayout``) on an equity, FX or commodity underlier
    (``underlying``: ``"price:<key>"`` or ``"fx:<pair>"``, read at scale 8). ``notional`` is
    the quantity in whole units of the underlier; the quoted price is the total ``premium``
    in minor units, paid by the buyer at execution. At ``expiry_ms`` an in-the-money option is
    exercised automatically: cash settlement pays ``quantity x intrinsic value``; physical
    settlement delivers ``quantity`` units of token ``deliverable`` against
    ``quantity x strike`` (DvP). Out of the money it expires."""

    name = "european_option"
    complexity = 2
    asset_class = "EQUITY"
    instrument = "OPTION"
    price_field = "premium"
    params_schema: ClassVar[dict[str, Param]] = {
        "premium": (int, ...),
        "underlying": (str, ...),
        "option_type": (str, "call"),
        "strike_e8": (int, ...),
        "expiry_ms": (int, ...),
        "settlement": (str, "cash"),
        "deliverable": (str, ""),
        "deliverable_decimals": (int, 0),
        "asset_class": (str, "EQUITY"),
    }
    lifecycle = _table(
        "european_option",
        [
            ("live", "payment", "live"),
            ("live", "exercise", "exercised"),
            ("live", "expiry", "expired"),
        ],
    )

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        kind = params["underlying"].partition(":")[0]
        ctx.require(
            kind in ("price", "fx"), "european_option: underlying is price:<key> or fx:<pair>"
        )
        ctx.require(params["option_type"] in ("call", "put"), "option_type: call or put")
        ctx.require(params["strike_e8"] > 0, "european_option: strike_e8 must be > 0")
        ctx.require(params["premium"] >= 0, "european_option: premium must be >= 0")
        ctx.require(params["expiry_ms"] > ctx.time_ms, "european_option: expiry has passed")
        ctx.require(params["settlement"] in ("cash", "physical"), "settlement: cash or physical")
        ctx.require(
            params["settlement"] == "cash" or bool(params["deliverable"]),
            "european_option: physical settlement needs a deliverable token",
        )
        ctx.require(
            params["asset_class"] in ("EQUITY", "FX", "COMMODITY"),
            "european_option: asset_class is EQUITY, FX or COMMODITY",
        )

    def maturity_ms(self, c: dict[str, Any]) -> int:
        return c["params"]["expiry_ms"]

    def setup(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        c["due_ms"] = c["params"]["expiry_ms"]
        long, short = self.long_short(c)
        premium = c["params"]["premium"]
        flows = (Flow(long, short, premium, reason="premium"),) if premium else ()
        return [Step("payment", flows, (("premium", premium),))] if flows else []

    def im_payers(self, c: dict[str, Any]) -> tuple[str, ...]:
        return (self.long_short(c)[1],)

    def on_due(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        p = c["params"]
        spot = _read_underlying(ctx, p["underlying"])
        c["due_ms"] = 0
        intrinsic = spot - p["strike_e8"] if p["option_type"] == "call" else p["strike_e8"] - spot
        data = (("underlying", p["underlying"]), ("spot_e8", spot))
        if intrinsic <= 0:
            return [Step("expiry", (), data)]
        long, short = self.long_short(c)
        scale = 10 ** c["decimals"]
        if p["settlement"] == "cash":
            payoff = mul_div(c["notional"] * intrinsic, scale, E8)
            flows = (Flow(short, long, payoff, reason="exercise"),)
            return [Step("exercise", flows, (*data, ("payoff", payoff)))]
        cash = mul_div(c["notional"] * p["strike_e8"], scale, E8)
        units = c["notional"] * 10 ** p["deliverable_decimals"]
        if p["option_type"] == "call":  # buyer pays strike, receives the underlier
            flows = (
                Flow(long, short, cash, reason="exercise"),
                Flow(short, long, units, symbol=p["deliverable"], reason="exercise"),
            )
        else:  # buyer delivers the underlier, receives the strike
            flows = (
                Flow(short, long, cash, reason="exercise"),
                Flow(long, short, units, symbol=p["deliverable"], reason="exercise"),
            )
        return [Step("exercise", flows, (*data, ("physical", True)))]

    def notional_value(self, c: dict[str, Any]) -> int:
        return mul_div(c["notional"] * c["params"]["strike_e8"], 10 ** c["decimals"], E8)

    def trade_terms(self, c: dict[str, Any]) -> dict[str, Any]:
        p = c["params"]
        return super().trade_terms(c) | {
            "instrument": "OPTION",
            "exercise_ms": p["expiry_ms"],
            "option_type": p["option_type"].upper(),
            "strike_e8": p["strike_e8"],
            "reference": p["underlying"],
        }

    def upi(self, c: dict[str, Any]) -> str:
        p = c["params"]
        return f"european_option:{p['option_type']}:{p['underlying']}"


class CreditDefaultSwap(Template):
    """Single-name CDS (CDM ``CreditDefaultPayout`` + premium ``InterestRatePayout``):
    ``notional`` in minor units; the protection buyer (long) pays the quoted ``spread_bps``
    running premium each ``period_days`` (ACT/360) until ``maturity_ms``. On a credit event
    on ``reference`` (declared by the regulator as determinations committee, with the auction
    final price in bps of par) the seller pays ``notional x (1 - final price)``; the contract
    then settles."""

    name = "cds"
    complexity = 3
    asset_class = "CREDIT"
    price_field = "spread_bps"
    params_schema: ClassVar[dict[str, Param]] = {
        "spread_bps": (int, ...),
        "reference": (str, ...),
        "period_days": (int, 90),
        "maturity_ms": (int, ...),
    }
    lifecycle = _table(
        "cds",
        [
            ("live", "payment", "live"),
            ("live", "maturity", "matured"),
            ("live", "credit_event", "triggered"),
            ("triggered", "settlement", "settled"),
        ],
    )

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        ctx.require(params["spread_bps"] >= 0, "cds: spread_bps must be >= 0")
        ctx.require(bool(params["reference"]), "cds: reference entity is required")
        ctx.require(1 <= params["period_days"] <= 366, "cds: period_days must be in [1, 366]")
        ctx.require(params["maturity_ms"] > ctx.time_ms, "cds: maturity has passed")

    def maturity_ms(self, c: dict[str, Any]) -> int:
        return c["params"]["maturity_ms"]

    def setup(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        c["due_ms"] = min(
            c["executed_ms"] + c["params"]["period_days"] * DAY_MS, c["params"]["maturity_ms"]
        )
        c["accrual_start_ms"] = c["executed_ms"]
        return []

    def on_due(self, ctx: Context, c: dict[str, Any]) -> list[Step]:
        p = c["params"]
        days = (c["due_ms"] - c["accrual_start_ms"]) // DAY_MS
        premium = mul_div(c["notional"] * p["spread_bps"], days, YEAR_DAYS * BPS)
        long, short = self.long_short(c)
        flows = (Flow(long, short, premium, reason="premium"),) if premium else ()
        steps = [Step("payment", flows, (("premium", premium), ("days", days)))]
        c["accrual_start_ms"] = c["due_ms"]
        if c["due_ms"] >= p["maturity_ms"]:
            c["due_ms"] = 0
            steps.append(Step("maturity"))
        else:
            c["due_ms"] = min(c["due_ms"] + p["period_days"] * DAY_MS, p["maturity_ms"])
        return steps

    def credit_event(self, c: dict[str, Any], final_price_bps: int) -> list[Step]:
        """Steps of a credit event settled at the auction ``final_price_bps``."""
        long, short = self.long_short(c)
        payout = mul_div(c["notional"], BPS - final_price_bps, BPS)
        c["due_ms"] = 0
        flows = (Flow(short, long, payout, reason="protection"),) if payout else ()
        return [
            Step("credit_event", (), (("final_price_bps", final_price_bps),)),
            Step("settlement", flows, (("protection_payment", payout),)),
        ]

    def trade_terms(self, c: dict[str, Any]) -> dict[str, Any]:
        return super().trade_terms(c) | {"reference": c["params"]["reference"]}

    def upi(self, c: dict[str, Any]) -> str:
        return f"cds:{c['params']['reference']}"


TEMPLATES: dict[str, Template] = {
    t.name: t for t in (InterestRateSwap(), FxForward(), EuropeanOption(), CreditDefaultSwap())
}


def template(name: str) -> Template:
    """The template called ``name``; :class:`ContractError` if there is none."""
    found = TEMPLATES.get(name)
    if found is None:
        raise ContractError(f"no derivative template {name!r}; known: {sorted(TEMPLATES)}")
    return found


def asset_class_of(c: dict[str, Any]) -> str:
    """The SA-CCR asset class of contract record ``c``."""
    t = template(c["template"])
    return (
        c["params"].get("asset_class", t.asset_class)
        if t.name == "european_option"
        else (t.asset_class)
    )
