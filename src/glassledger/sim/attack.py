"""The speculative attack on the basket coin (seed 004), through the real ``basket`` contract.

Seed 004 (Zou Chuanwei, "Libra basket management: a theoretical analysis", 2019) concludes
that when overall adequacy fails, continued redemptions widen the reserve's gap and push the
intrinsic rate (reserve value per coin) down, so the attack becomes self-fulfilling; arbitrage
and fire sales of reserve assets amplify it; as a last resort the issuer recomposes the
basket. This runner plays that out on the ledger:

* **The coin and its reserve.** The basket consortium of :mod:`glassledger.sim.basket_devnet`
  (the SDR 2022 basket, five currencies) plus ``holders`` coin holders (authorized dealers
  acting for their users; only they deal with the reserve), each creating
  ``units_per_holder`` creation units, and ``market``, the fire-sale buyer. The manager
  (``spv``) keeps ``liquid_share_bps`` of each currency on deposit and puts the rest in
  commercial paper of that currency maturing in ``security_days`` (not weekly liquid). The
  rule set is Rule 2a-7 (2014) with its liquidity minimums and issuer limit lifted, so any
  liquidity can be set; its fee and gate triggers (weekly liquid assets below 30%) stay.
* **Prices and the impact function.** The oracle agent (``regulator``) posts each
  currency's paper at ``CP.<CCY>`` (kind ``price``, scale 8, per 100). After a shock the
  base price is ``p0``; when the reserve has sold ``Q`` of a currency's paper in all, the
  price is ``p0 x (1 - impact_bps / 10^4 x g(Q / depth))`` with ``g(x) = x`` (linear impact,
  as in Greenwood, Landier and Thesmar 2015, "Vulnerable banks", JFE 115) or
  ``g(x) = sqrt(x)`` (the square-root law of market impact: Almgren, Thum, Hauptmann and Li
  2005, "Direct estimation of equity market impact", Risk 18; Toth et al. 2011, Phys. Rev. X
  1), ``depth`` being ``depth_bps`` of the currency's reserve at the start; impact is
  permanent within the attack, and the posted price is the mark of the paper still held.
  The manager sells (``basket.sell_security``) the paper a round's redemptions need beyond
  deposits, at the post-impact price: the discount is a realised loss, so the on-ledger
  intrinsic rate falls.
* **The holders' decision rule** (a global game: Morris and Shin 1998, "Unique equilibrium
  in a model of self-fulfilling currency attacks", AER 88(3); Laplacian beliefs: Morris and
  Shin 2003, "Global games: theory and applications", section 2). Each round, a holder
  values staying at the reserve's market value per coin after a share ``f`` of the other
  coins is redeemed at par and the paper that needs is fire-sold (:func:`nav_if_run`),
  averaged over ``f`` uniform on [0, 1) (the marginal player's uniform belief about how many
  others run), plus its private noise (``signal_noise_bps``, drawn once per holder from the
  seed). It redeems all its coins when the expected loss from staying exceeds its cost of
  running (``run_cost_bps``) plus the redemption fee in force. Illiquid reserves make the
  payoffs more complementary (Chen, Goldstein and Jiang 2010, "Payoff complementarities and
  financial fragility", JFE 97): a run of ``f`` costs the stayers more fire-sale losses.
* **Fees, gates and recomposition.** While the rule set permits (weekly liquid below 30%),
  the manager sets a ``liquidity_fee_bps`` discretionary fee (at most 2%; 1% applies by
  default below 10%), and gates for ``gate_days`` business days when weekly liquid falls
  below ``gate_below_bps`` (``gate_days`` 0: never). When the reserve's book value falls
  more than the 0.5% tolerance below the basket (stable NAV refused), or at the end when its
  market value does, the regulator recomposes the basket to what the reserve holds at market
  value per creation unit (``basket.recompose``), the last resort.
* **Shocks** (the scenario's ``shocks``): ``price`` with target ``reserve_securities`` (all
  paper) or a price key moves the base price by ``bps``; ``redemption_wave`` makes holders
  of ``share_bps`` of the coins outstanding redeem in that round whatever they decide.

Key figures: per round, the market NAV, the on-ledger intrinsic rate over the theoretical
rate (seed 004's adequacy), weekly liquid assets, the fee, runners, paper sold and losses.
``self_fulfilling``: holders ran and the coins left ended worth more than the 0.5% tolerance
less than the shock alone left them (market value per coin over the original basket, after
any recomposition): the run itself made running pay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from glassledger.contracts import reserve_rules as rr
from glassledger.contracts.basket_book import adequacy, load_book, value_e18
from glassledger.contracts.basket_reserve import portfolio, rules_of
from glassledger.ledger.crypto import KeyPair
from glassledger.node.genesis import BalanceSpec, Genesis, ParticipantSpec
from glassledger.sim import basket_devnet as devnet
from glassledger.sim.engine import Recorder
from glassledger.sim.market_day import Call, ledger_get, must
from glassledger.sim.scenario import Attack, Scenario

MANAGER = "spv"
BUYER = "market"
ORACLE = "regulator"
PAR_E8 = 100 * 10**8
BPS = 10_000
#: Rule 2a-7's stable-NAV tolerance (1/2 of 1%), as the contract applies it.
TOLERANCE_BPS = 50
#: The grid of shares of the other coins a holder imagines redeemed (uniform on [0, 1)).
BELIEF_GRID = tuple(i / 10 for i in range(10))
RATES = {"USD": 10**10, **devnet.RATES_E10}


def holder(i: int) -> str:
    return f"holder-{i:02d}"


def price_key(currency: str) -> str:
    return f"CP.{currency}"


def impact(sold: float, depth: float, impact_bps: int, law: str) -> float:
    """The price multiplier after ``sold`` of ``depth`` was sold: ``1 - c g(sold/depth)``
    (module docstring), floored at 1% of the base price."""
    x = max(sold, 0.0) / depth
    g = math.sqrt(x) if law == "sqrt" else x
    return max(1.0 - impact_bps / BPS * g, 0.01)


def attack_genesis(scenario: Scenario, extra: Iterable[ParticipantSpec]) -> Genesis:
    """The basket consortium, the holders (funded for their creation units) and the buyer."""
    a = scenario.attack
    genesis = devnet.basket_genesis(
        users_per_currency=0, chain_id="glassledger-attack", params=dict(scenario.params)
    )
    people = [ParticipantSpec(holder(i), ["authorized_dealer"]) for i in range(a.holders)]
    people.append(ParticipantSpec(BUYER, ["client"], legal_name="Fire-sale buyers"))
    people += list(extra)
    for person in people:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    genesis.participants += people
    genesis.balances += [
        BalanceSpec(k, holder(i), devnet.SDR_2022_UNIT[k] * a.units_per_holder)
        for i in range(a.holders)
        for k in devnet.CURRENCIES
    ]
    return genesis


class _Reserve:
    """The reserve as the holders and the manager see it off the ledger: the book at the
    head, the base prices and what each currency has sold so far."""

    def __init__(self, ledger: Recorder, a: Attack, depth: dict[str, float]) -> None:
        self.ledger, self.a, self.depth = ledger, a, depth
        self.base = {k: 1.0 for k in devnet.CURRENCIES}  # base price / par
        self.sold = {k: 0.0 for k in devnet.CURRENCIES}  # face sold so far, minor units

    @property
    def book(self):
        return load_book(lambda key: ledger_get(self.ledger, "basket", key))

    def price(self, k: str, more: float = 0.0) -> float:
        """Price / par of ``k``'s paper after selling ``more`` beyond what is sold."""
        a = self.a
        return self.base[k] * impact(self.sold[k] + more, self.depth[k], a.impact_bps, a.impact_law)

    def price_calls(self, prices: dict[str, float], later_ms: int = 0) -> list[Call]:
        """Oracle posts of ``prices`` observed ``later_ms`` after the head (posts within one
        block need increasing observation times)."""
        return [
            (
                ORACLE,
                "oracle",
                "post",
                {
                    "kind": "price",
                    "key": price_key(k),
                    "value": round(p * PAR_E8),
                    "scale": 8,
                    "observed_ms": self.ledger.time_ms + later_ms,
                },
            )
            for k, p in sorted(prices.items())
        ]

    def sale(self, k: str, need: float, held: float) -> tuple[float, float]:
        """Face to sell to raise ``need`` minor units of ``k`` at the post-impact price, and
        that price (fixed point of ``q = need / p(q)``), capped at ``held``."""
        if need <= 0 or held <= 0:
            return 0.0, self.price(k)
        q = need / self.price(k)
        for _ in range(30):
            q = min(need / self.price(k, q), held)
        return q, self.price(k, q)

    def nav_if_run(self, f: float, fee_bps: int) -> float:
        """Market value per coin of the coins left (over their basket value at par) after a
        share ``f`` of the coins outstanding is redeemed at par less ``fee_bps`` and the paper
        that needs beyond deposits is fire-sold."""
        book = self.book
        value = owed = 0.0
        for k in book.currencies:
            dec = book.config["decimals"][k]
            deposits, held = book.deposits(k) + book.accrued[k], book.invested(k)
            out = f * book.liabilities(k) * (1 - fee_bps / BPS)
            q, p = self.sale(k, out - deposits, held)
            left = deposits + q * p - out + (held - q) * p
            value += max(left, 0.0) * RATES[k] / 10**dec
            owed += (1 - f) * book.liabilities(k) * RATES[k] / 10**dec
        return 1.0 if owed == 0 else value / owed

    def market_nav(self) -> float:
        return self.nav_if_run(0.0, 0)

    def intrinsic_over_theoretical(self) -> float:
        """Seed 004's intrinsic rate over the theoretical rate, on the ledger's books."""
        check = adequacy(self.book, RATES)
        return (
            1.0
            if not check.required_value_e18
            else (check.reserve_value_e18 / check.required_value_e18)
        )

    def weekly_liquid_bps(self) -> int:
        book = self.book
        day = self.ledger.time_ms // 86_400_000
        rules = rules_of(book.config)
        holdings = portfolio(book, RATES, day)
        total = sum(h.value for h in holdings)
        return BPS if not total else rr.weekly_liquid_value(holdings, day, rules) * BPS // total

    def fee_in_force(self, wla_bps: int) -> tuple[int, bool]:
        """The liquidity fee the contract charges now (the rule set's default, or the
        manager's fee up to the maximum, while permitted) and whether a gate is permitted."""
        rules = rules_of(self.book.config)
        terms = rules.redemption_terms(
            weekly_liquid=rr.Ratio(wla_bps, BPS),
            net_redemptions=rr.Ratio(0, 1),
            institutional=False,
        )
        fee = max(terms.fee_bps, min(self.a.liquidity_fee_bps, terms.max_fee_bps))
        return fee, terms.gate_permitted


def _setup(ledger: Recorder, scenario: Scenario) -> dict[str, float]:
    a = scenario.attack
    rule_params = {"min_daily_liquid_bps": 0, "min_weekly_liquid_bps": 0, "max_issuer_bps": BPS}
    calls = devnet.setup_calls(ledger.time_ms, rules=a.rules, rule_params=rule_params)
    calls += [
        ("regulator", "basket", "admit_dealer", {"dealer": holder(i), "currency": "USD"})
        for i in range(a.holders)
    ]
    must(ledger, calls, "setting the basket coin up")
    must(
        ledger,
        [(holder(i), "basket", "mint", {"units": a.units_per_holder}) for i in range(a.holders)],
        "holders creating coins",
    )
    book = load_book(lambda key: ledger_get(ledger, "basket", key))
    reserve = _Reserve(ledger, a, {})
    calls = reserve.price_calls({k: 1.0 for k in book.currencies})
    day = ledger.time_ms // 86_400_000
    depth = {}
    for k in book.currencies:
        depth[k] = book.assets(k) * a.depth_bps / BPS
        amount = book.deposits(k) * (BPS - a.liquid_share_bps) // BPS
        if amount > 0:
            calls.append(
                (
                    MANAGER,
                    "basket",
                    "invest",
                    {
                        "currency": k,
                        "issuer": f"CP-ISSUER-{k}",
                        "kind": rr.COMMERCIAL_PAPER,
                        "amount": amount,
                        "maturity_day": day + a.security_days,
                        "rate_key": f"{k}.CP",
                    },
                )
            )
    if a.liquidity_fee_bps:  # the board's standing fee, charged whenever the rules permit
        calls.append((MANAGER, "basket", "set_liquidity_fee", {"fee_bps": a.liquidity_fee_bps}))
    must(ledger, calls, "investing the reserve")
    return depth


def basket_attack(ledger: Recorder, scenario: Scenario) -> dict[str, Any]:
    """The attack (module docstring); returns its key figures."""
    a = scenario.attack
    depth = _setup(ledger, scenario)
    reserve = _Reserve(ledger, a, depth)
    rng = np.random.default_rng(ledger.seed)
    noise = dict(
        zip(
            (holder(i) for i in range(a.holders)),
            rng.normal(0.0, a.signal_noise_bps / BPS, a.holders),
            strict=True,
        )
    )
    holding = {holder(i): a.units_per_holder for i in range(a.holders)}
    start_units = sum(holding.values())
    rounds: list[dict[str, Any]] = []
    nav_after_shock: float | None = None
    recompositions: list[dict[str, Any]] = []
    kept = 1.0  # the share of the original basket a coin still claims (recompositions)
    for step in range(a.rounds):
        for shock in scenario.shocks_at(step, "price"):
            for k in reserve.base:
                if shock.target in ("reserve_securities", price_key(k)):
                    reserve.base[k] *= 1 + shock.bps / BPS
        prices = {k: reserve.price(k) for k in reserve.base}
        must(ledger, reserve.price_calls(prices), f"round {step}: oracle prices")
        if nav_after_shock is None and scenario.shocks_at(step, "price"):
            nav_after_shock = reserve.market_nav()
        wla = reserve.weekly_liquid_bps()
        fee, gate_ok = reserve.fee_in_force(wla)
        gated = bool(ledger_get(ledger, "basket", "gate"))
        if a.gate_days and gate_ok and wla < a.gate_below_bps and not gated:
            must(
                ledger,
                [(MANAGER, "basket", "impose_gate", {"days": a.gate_days})],
                f"round {step}: the manager gates",
            )
            gated = True
        expected = sum(reserve.nav_if_run(f, fee) for f in BELIEF_GRID) / len(BELIEF_GRID)
        left = [h for h, units in holding.items() if units]
        threshold = (a.run_cost_bps + fee) / BPS
        runners = [h for h in left if 1.0 - (expected + noise[h]) > threshold]
        for shock in scenario.shocks_at(step, "redemption_wave"):
            target = shock.share_bps * sum(holding.values()) // BPS
            forced = 0
            for h in left:
                if forced >= target:
                    break
                if h not in runners:
                    runners.append(h)
                forced += holding[h]
        row: dict[str, Any] = {
            "round": step,
            "prices": {k: round(p, 6) for k, p in prices.items()},
            "market_nav_bps": round(reserve.market_nav() * BPS, 2),
            "expected_nav_bps": round(expected * BPS, 2),
            "weekly_liquid_bps": wla,
            "fee_bps": fee,
            "gated": gated,
            "runners": sorted(runners),
        }
        if gated:
            runners = []  # redemptions are suspended: nobody can run
        sold, losses, rejected = _redeem(ledger, reserve, holding, sorted(runners))
        intrinsic = reserve.intrinsic_over_theoretical()
        nav_after = reserve.market_nav()
        if intrinsic * BPS < BPS - TOLERANCE_BPS:
            recompositions.append(_recompose(ledger, reserve, step, "stable NAV broken"))
            kept *= 1 - recompositions[-1]["haircut_bps"] / BPS
        row |= {
            "height": ledger.chain.height,
            "units_redeemed": sum(a.units_per_holder for h in runners if not holding[h]),
            "sold": sold,
            "loss": losses,
            "rejected": rejected,
            "intrinsic_over_theoretical_bps": round(intrinsic * BPS, 2),
            "market_nav_after_bps": round(nav_after * BPS, 2),
            "basket_kept_bps": round(kept * BPS, 2),
        }
        rounds.append(row)
        later = any(s.step > step for s in scenario.shocks)
        if not runners and not later and step > 0:
            break
    final_nav = reserve.market_nav() * kept  # per coin left, over the original basket
    if reserve.book.units and reserve.market_nav() * BPS < BPS - TOLERANCE_BPS:
        recompositions.append(
            _recompose(ledger, reserve, len(rounds), "market NAV below tolerance")
        )
    return _figures(
        ledger, scenario, rounds, recompositions, start_units, nav_after_shock, final_nav
    )


def _redeem(
    ledger: Recorder, reserve: _Reserve, holding: dict[str, int], runners: list[str]
) -> tuple[dict[str, int], dict[str, int], int]:
    """One block of the runners' redemptions, in order: before each, the manager sells the
    paper its payout needs beyond the deposits left (the oracle first posts the post-sale
    price), so the first in line are paid from deposits and the later ones from fire sales.
    Returns face sold and losses per currency (minor units) and the redemptions refused."""
    if not runners:
        return {}, {}, 0
    book = reserve.book
    deposits = {k: book.deposits(k) for k in book.currencies}
    papers = {
        k: [[sid, r["amount"]] for sid, r in sorted(book.securities.items()) if r["currency"] == k]
        for k in book.currencies
    }
    calls: list[Call] = []
    sold: dict[str, int] = {}
    posts = 0
    for h in runners:
        for k in book.currencies:
            payout = holding[h] * book.config["unit_amounts"][k]
            held = sum(amount for _, amount in papers[k])
            q, _ = reserve.sale(k, float(payout - deposits[k]), float(held))
            face = min(math.ceil(q), held)
            if face > 0:
                price = reserve.price(k, face)
                posts += 1
                calls += reserve.price_calls({k: price}, later_ms=posts)
                deposits[k] += int(face * price)
                reserve.sold[k] += face
                sold[k] = sold.get(k, 0) + face
            while face > 0:
                sid, amount = papers[k][0]
                part = min(face, amount)
                calls.append(
                    (
                        MANAGER,
                        "basket",
                        "sell_security",
                        {
                            "security": sid,
                            "amount": part,
                            "price_key": price_key(k),
                            "buyer": BUYER,
                        },
                    )
                )
                face -= part
                papers[k][0][1] -= part
                if papers[k][0][1] == 0:
                    papers[k].pop(0)
            deposits[k] -= payout
        calls.append((h, "basket", "redeem", {"units": holding[h]}))
    receipts = ledger.run(calls)
    pairs = list(zip(calls, receipts, strict=True))
    failed = [f"{c[1]}.{c[2]}: {r.message}" for c, r in pairs if not r.ok and c[2] != "redeem"]
    if failed:
        raise RuntimeError(f"the fire sale was refused: {failed}")
    losses: dict[str, int] = {}
    refused = 0
    for call, receipt in pairs:
        if call[2] == "sell_security":
            data = receipt.events[-1].data
            losses[data["currency"]] = losses.get(data["currency"], 0) + int(data["loss"])
        elif call[2] == "redeem" and receipt.ok:
            holding[call[0]] = 0
        elif call[2] == "redeem":
            refused += 1
    return sold, losses, refused


def _recompose(ledger: Recorder, reserve: _Reserve, step: int, why: str) -> dict[str, Any]:
    """The regulator's last resort: the basket becomes what the reserve holds at market
    value per creation unit, effective in the next block."""
    book = reserve.book
    new = {}
    for k in book.currencies:
        p = reserve.price(k)
        market = book.deposits(k) + book.accrued[k] + book.invested(k) * p
        new[k] = max(int(market // book.units), 1)
    old = dict(book.config["unit_amounts"])
    must(
        ledger,
        [
            (
                "regulator",
                "basket",
                "recompose",
                {"unit_amounts": new, "effective_height": ledger.chain.height + 2},
            )
        ],
        "recomposing the basket",
    )
    ledger.run([])
    cut = 1 - sum(value_e18(new[k], book.config["decimals"][k], RATES[k]) for k in new) / sum(
        value_e18(old[k], book.config["decimals"][k], RATES[k]) for k in old
    )
    return {
        "round": step,
        "height": ledger.chain.height,
        "why": why,
        "old": old,
        "new": new,
        "haircut_bps": round(cut * BPS, 2),
    }


def _figures(
    ledger: Recorder,
    scenario: Scenario,
    rounds: list[dict[str, Any]],
    recompositions: list[dict[str, Any]],
    start_units: int,
    nav_after_shock: float | None,
    final_nav: float,
) -> dict[str, Any]:
    a = scenario.attack
    redeemed = sum(r["units_redeemed"] for r in rounds)
    loss_native: dict[str, int] = {}
    for r in rounds:
        for k, v in r["loss"].items():
            loss_native[k] = loss_native.get(k, 0) + v
    state = ledger.store.state_at(ledger.chain.height)
    from glassledger.sim.engine import holdings

    buyer = {k: held[0] for k, held in holdings(state).get(BUYER, {}).items()}
    # liquidity fees kept by the reserve: the basket owed for the units less what was paid
    amounts: dict[str, int] = {}
    fees = {k: 0 for k in devnet.CURRENCIES}
    for record in ledger.store.events(0, contract="basket"):
        e = record.event
        if e.name in ("set_up", "recomposed"):
            amounts = dict(e.data["unit_amounts"])
        elif e.name == "redeemed":
            for k, paid in e.data["paid"].items():
                fees[k] += e.data["units"] * amounts[k] - paid
    fees_usd = sum(value_e18(v, devnet.DECIMALS[k], RATES[k]) for k, v in fees.items())
    usd = sum(value_e18(v, devnet.DECIMALS[k], RATES[k]) for k, v in loss_native.items())
    shock_nav = 1.0 if nav_after_shock is None else nav_after_shock
    run_share = redeemed * BPS // start_units
    return {
        "liquid_share_bps": a.liquid_share_bps,
        "depth_bps": a.depth_bps,
        "impact_bps": a.impact_bps,
        "impact_law": a.impact_law,
        "rounds": rounds,
        "recompositions": recompositions,
        "units_start": start_units,
        "units_redeemed": redeemed,
        "run_share_bps": run_share,
        "nav_after_shock_bps": round(shock_nav * BPS, 2),
        "final_market_nav_bps": round(final_nav * BPS, 2),
        "min_intrinsic_over_theoretical_bps": min(
            r["intrinsic_over_theoretical_bps"] for r in rounds
        ),
        "fire_sale_loss_usd_cents": usd // 10**16,
        "fire_sale_loss": loss_native,
        "buyer_gain": buyer,
        "losses_equal_buyer_gains": loss_native == {k: v for k, v in buyer.items() if v},
        "max_fee_bps": max(r["fee_bps"] for r in rounds),
        "fees_collected_usd_cents": fees_usd // 10**16,
        "gated": any(r["gated"] for r in rounds),
        "recomposed": bool(recompositions),
        "self_fulfilling": redeemed > 0 and (shock_nav - final_nav) * BPS > TOLERANCE_BPS,
    }


basket_attack.blocks = 40  # type: ignore[attr-defined]  # progress-bar total (about)
basket_attack.genesis = attack_genesis  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- report


def report_lines(figures: dict[str, Any]) -> list[str]:
    """The attack's key figures in words (the report's summary)."""
    f = figures
    lines = [
        f"Reserve liquidity {f['liquid_share_bps'] / 100:.0f}% on deposit; paper impact "
        f"{f['impact_bps']} bp ({f['impact_law']}) at a sale of {f['depth_bps'] / 100:.0f}% of "
        f"a currency's reserve. After the shock the reserve's market value per coin was "
        f"{f['nav_after_shock_bps'] / 100:.2f}% of the basket.",
        f"{f['units_redeemed']} of {f['units_start']} creation units redeemed "
        f"({f['run_share_bps'] / 100:.1f}%); fire-sale losses "
        f"${f['fire_sale_loss_usd_cents'] / 100:,.0f} (equal to the buyers' gains: "
        f"{f['losses_equal_buyer_gains']}); lowest on-ledger intrinsic rate "
        f"{f['min_intrinsic_over_theoretical_bps'] / 100:.2f}% of the theoretical rate.",
        f"Coins left are worth {f['final_market_nav_bps'] / 100:.2f}% of the original basket; "
        + (
            "the attack was SELF-FULFILLING: the run cost those who stayed more than the shock."
            if f["self_fulfilling"]
            else "the attack was not self-fulfilling."
        ),
    ]
    for r in f["recompositions"]:
        lines.append(
            f"Round {r['round']}: the regulator recomposed the basket ({r['why']}), a "
            f"{r['haircut_bps'] / 100:.2f}% cut, effective at block {r['height']}."
        )
    lines.append(
        f"Liquidity fees kept by the reserve: ${f['fees_collected_usd_cents'] / 100:,.0f} "
        f"(fee in force at the start of a round at most {f['max_fee_bps']} bp)."
    )
    if f["gated"]:
        lines.append(
            "The manager gated redemptions: the run stopped at the gate (what happens when it "
            "lifts is not simulated)."
        )
    return lines


def report_charts(run: Any) -> list[tuple[str, Any]]:
    """Charts of one attack run: values per round, the run and the fire sales, prices."""
    import plotly.graph_objects as go

    rows = run.figures["rounds"]
    x = [r["round"] for r in rows]
    fig = go.Figure()
    for key, name in (
        ("market_nav_bps", "market value per coin (start of round)"),
        ("expected_nav_bps", "holders' expected value of staying"),
        ("intrinsic_over_theoretical_bps", "on-ledger intrinsic / theoretical rate"),
        ("basket_kept_bps", "basket kept after recomposition"),
    ):
        fig.add_trace(
            go.Scatter(x=x, y=[r[key] / 100 for r in rows], name=name, mode="lines+markers")
        )
    fig.update_layout(xaxis_title="round", yaxis_title="% of the basket")
    out = [("Value per coin, intrinsic rate and the holders' expectation", fig)]
    fig = go.Figure(go.Bar(x=x, y=[len(r["runners"]) for r in rows], name="holders running"))
    fig.add_trace(go.Bar(x=x, y=[r["rejected"] for r in rows], name="redemptions refused"))
    fig.add_trace(
        go.Scatter(
            x=x, y=[r["weekly_liquid_bps"] / 100 for r in rows], name="weekly liquid %", yaxis="y2"
        )
    )
    fig.update_layout(
        xaxis_title="round",
        yaxis_title="holders",
        barmode="group",
        yaxis2={"overlaying": "y", "side": "right", "title": "weekly liquid assets, %"},
    )
    out.append(("The run: holders redeeming, refusals, weekly liquid assets", fig))
    fig = go.Figure()
    for k in sorted(rows[0]["prices"]):
        fig.add_trace(go.Scatter(x=x, y=[r["prices"][k] * 100 for r in rows], name=f"CP.{k}"))
    fig.update_layout(xaxis_title="round", yaxis_title="price per 100 (start of round)")
    out.append(("Reserve paper prices (oracle posts, fire-sale impact)", fig))
    return out


def threshold(table: Any, param: str = "attack.liquid_share_bps") -> Any:
    """The lowest value of ``param`` above which no run of the sweep ``table`` was
    self-fulfilling (``None`` when the highest value still was)."""
    by = table.groupby(param)["self_fulfilling"].any().sort_index()
    safe = None
    for value, bad in reversed(list(by.items())):
        if bad:
            break
        safe = value
    return safe


def sweep_chart(table: Any, param: str = "attack.liquid_share_bps") -> Any:
    """Share redeemed, value of the coins left and the self-fulfilling share of seeds,
    against ``param``, the threshold marked."""
    import plotly.graph_objects as go

    g = table.groupby(param).agg(
        run=("run_share_bps", "mean"),
        left=("final_market_nav_bps", "mean"),
        shock=("nav_after_shock_bps", "mean"),
        sf=("self_fulfilling", "mean"),
    )
    x = g.index / 100 if param.endswith("_bps") else g.index
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=g["run"] / 100, name="coins redeemed, %", mode="lines+markers"))
    fig.add_trace(
        go.Scatter(
            x=x, y=g["sf"] * 100, name="runs self-fulfilling, % of seeds", mode="lines+markers"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=(g["shock"] - g["left"]) / 100,
            yaxis="y2",
            name="loss the run added, % (shock value - final)",
        )
    )
    safe = threshold(table, param)
    if safe is not None:
        fig.add_vline(
            x=safe / 100 if param.endswith("_bps") else safe,
            line_dash="dash",
            annotation_text="no self-fulfilling run from here",
        )
    fig.update_layout(
        xaxis_title=param + (" (%)" if param.endswith("_bps") else ""),
        yaxis_title="%",
        yaxis2={"overlaying": "y", "side": "right", "title": "added loss, %"},
    )
    return fig
