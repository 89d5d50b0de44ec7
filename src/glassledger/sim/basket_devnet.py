"""A development network for the basket coin: genesis, and the transactions that set it up.

For tests, demos and benchmarks only (keys from :meth:`KeyPair.from_name`). The consortium:

* ``regulator`` (regulator, oracle) and four ``dealer-<i>`` authorities, as in the devnet;
* five settlement banks, each issuing one reserve currency (``bank-usd`` issues ``USD``...);
  ``bank-usd`` is also the reserve's custodian;
* ``spv``, the coin's issuer SPV and reserve manager (paid-in capital in every currency);
* authorized dealers ``ad-<ccy>`` serving users in their local currency, funded in every
  currency;
* users ``user-<ccy>-<i>`` holding their local currency.

The coin ``GLC`` (6 decimals) is defined on the IMF's SDR basket of Aug 1, 2022 (0.57813 USD,
0.37379 EUR, 1.0993 CNY, 13.452 JPY, 0.080870 GBP per unit; IMF press release of Jul 29,
2022) with creation units of 1,000 coins, so every delivery is a whole number of minor units.
"""

from __future__ import annotations

from typing import Any

from glassledger.ledger.crypto import KeyPair
from glassledger.node.devnet import GENESIS_TIME_MS
from glassledger.node.genesis import BalanceSpec, Genesis, ParticipantSpec, TokenSpec

COIN = "GLC"
COIN_DECIMALS = 6
#: Coins per creation unit (1,000 coins, in coin minor units).
UNIT_COINS = 1_000 * 10**COIN_DECIMALS
#: Token decimals of the reserve currencies.
DECIMALS = {"USD": 2, "EUR": 2, "CNY": 2, "JPY": 0, "GBP": 2}
#: SDR 2022 amounts per 1,000 coins, minor units: 578.13 USD, 373.79 EUR, 1,099.30 CNY,
#: 13,452 JPY, 80.87 GBP.
SDR_2022_UNIT = {"USD": 57_813, "EUR": 37_379, "CNY": 109_930, "JPY": 13_452, "GBP": 8_087}
#: Illustrative rates, USD per unit x 1e10 (EUR 1.10, CNY 1/7.10, JPY 1/150, GBP 1.27).
RATES_E10 = {
    "EUR": 11_000_000_000,
    "CNY": 1_408_450_704,
    "JPY": 66_666_667,
    "GBP": 12_700_000_000,
}
CURRENCIES = tuple(DECIMALS)


def bank(currency: str) -> str:
    return f"bank-{currency.lower()}"


def dealer(currency: str) -> str:
    return f"ad-{currency.lower()}"


def user(currency: str, index: int) -> str:
    return f"user-{currency.lower()}-{index}"


def basket_genesis(
    users_per_currency: int = 2,
    dealer_funds_units: int = 100_000,
    user_cash: int = 10_000_000,
    chain_id: str = "glassledger-basket",
    time_ms: int = GENESIS_TIME_MS,
    params: dict[str, Any] | None = None,
    dealer_currencies: tuple[str, ...] = CURRENCIES,
) -> Genesis:
    """The basket consortium. Each authorized dealer holds every currency for
    ``dealer_funds_units`` creation units (and twice that in its local currency); the SPV
    holds 10% of that as capital; each user holds ``user_cash`` major units of its currency."""
    people = [ParticipantSpec("regulator", ["regulator", "oracle"], legal_name="Regulator")]
    people += [
        ParticipantSpec(
            f"dealer-{i}", ["dealer"], legal_name=f"Dealer {i}", credit_score=800, authority=True
        )
        for i in range(4)
    ]
    people += [
        ParticipantSpec(bank(k), ["issuer", "settlement_bank"], legal_name=f"{k} bank")
        for k in CURRENCIES
    ]
    people.append(ParticipantSpec("spv", ["issuer"], legal_name="Basket coin issuer SPV"))
    people += [
        ParticipantSpec(dealer(k), ["authorized_dealer"], legal_name=f"{k} dealer")
        for k in dealer_currencies
    ]
    people += [
        ParticipantSpec(user(k, i), ["client"], category="retail")
        for k in dealer_currencies
        for i in range(users_per_currency)
    ]
    for person in people:
        person.public_key = KeyPair.from_name(person.id).public.hex()
    balances = []
    for k in CURRENCIES:
        funds = SDR_2022_UNIT[k] * dealer_funds_units
        for d in dealer_currencies:
            balances.append(BalanceSpec(k, dealer(d), funds * (2 if d == k else 1)))
        balances.append(BalanceSpec(k, "spv", funds // 10))
    for k in dealer_currencies:
        balances += [
            BalanceSpec(k, user(k, i), user_cash * 10 ** DECIMALS[k])
            for i in range(users_per_currency)
        ]
    return Genesis(
        chain_id=chain_id,
        time_ms=time_ms,
        participants=people,
        params=dict(params or {}),
        tokens=[TokenSpec(k, d, bank(k)) for k, d in DECIMALS.items()],
        balances=balances,
    )


def setup_calls(
    observed_ms: int,
    rates_e10: dict[str, int] | None = None,
    dealer_currencies: tuple[str, ...] = CURRENCIES,
    **setup_args: Any,
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """``(signer, contract, method, args)`` that create the coin, set the basket up on the SDR
    2022 amounts (``setup_args`` override :meth:`Basket.setup` arguments), admit the dealers
    and post FX rates observed at ``observed_ms``."""
    rates = RATES_E10 if rates_e10 is None else rates_e10
    setup = {
        "coin": COIN,
        "unit_coins": UNIT_COINS,
        "unit_amounts": dict(SDR_2022_UNIT),
        "manager": "spv",
        "custodian": bank("USD"),
        **setup_args,
    }
    coin = {"symbol": COIN, "decimals": COIN_DECIMALS, "issuer": "contract:basket"}
    calls = [("regulator", "token", "create", coin), ("regulator", "basket", "setup", setup)]
    calls += [
        ("regulator", "basket", "admit_dealer", {"dealer": dealer(k), "currency": k})
        for k in dealer_currencies
    ]
    calls += fx_calls(observed_ms, rates)
    return calls


def fx_calls(observed_ms: int, rates_e10: dict[str, int]) -> list[tuple[str, str, str, dict]]:
    """Oracle posts of USD per unit x 1e10 (kind ``fx``, key ``<CCY>/USD``, scale 10)."""
    return [
        (
            "regulator",
            "oracle",
            "post",
            {"kind": "fx", "key": f"{k}/USD", "value": v, "scale": 10, "observed_ms": observed_ms},
        )
        for k, v in sorted(rates_e10.items())
    ]
