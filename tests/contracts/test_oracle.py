"""Oracle: posting data points, reading the value in force, staleness seen by the caller."""

from __future__ import annotations

import pytest

from glassledger.contracts import oracle
from glassledger.contracts.registry import standard_registry
from glassledger.ledger.abi import ANY, Context, Contract, method
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import GENESIS_TIME_MS

from .conftest import gov_chain

MAX_AGE_MS = 5_000  # blocks are 1 s apart in the harness


class PriceReader(Contract):
    """A contract that needs an oracle value (as a margin or valuation contract would)."""

    name = "reader"

    @method(ANY)
    def read(self, ctx: Context, kind: str, key: str, scale: int) -> None:
        ctx.emit("read", value=oracle.value(ctx, kind, key, scale))


@pytest.fixture
def chain() -> ClockedChain:
    registry = standard_registry()
    registry.contracts["reader"] = PriceReader()
    return gov_chain(params={"oracle_max_age_ms": MAX_AGE_MS}, registry=registry)


def post(chain: ClockedChain, who: str = "regulator", **point):
    fields = {
        "kind": "price",
        "key": "UST-10Y",
        "value": 9_812_500_000,  # 98.125 at scale 8
        "scale": 8,
        "observed_ms": chain.chain.head.timestamp_ms,
        **point,
    }
    return chain.call(who, "oracle", "post", **fields)


def read(chain: ClockedChain, scale: int = 8, key: str = "UST-10Y", kind: str = "price"):
    return chain.call("client-0", "reader", "read", kind=kind, key=key, scale=scale)


def test_regulator_posts_and_a_contract_reads_the_value_in_force(chain):
    receipt = post(chain)
    assert receipt.ok, receipt.message
    assert [e.name for e in receipt.events] == ["posted"]
    stored = chain.get("oracle", "v/price/UST-10Y")
    assert (stored["value"], stored["scale"], stored["source"]) == (9_812_500_000, 8, "regulator")
    reading = read(chain)
    assert reading.ok and reading.events[0].data == {"value": 9_812_500_000}
    assert read(chain, scale=10).events[0].data == {"value": 981_250_000_000}
    assert read(chain, scale=3).events[0].data == {"value": 98_125}
    inexact = read(chain, scale=2)
    assert inexact.reason == "contract_error" and "not exact at scale 2" in inexact.message


def test_stale_or_absent_values_reject_the_reading_transaction(chain):
    absent = read(chain, key="NOPE")
    assert (absent.reason, absent.message) == (
        "contract_error",
        "stale: no oracle price for 'NOPE' has been posted",
    )
    assert post(chain).ok  # block 2 posts a point observed at block 1's time
    chain.advance_to(chain.height + 3)
    assert read(chain).ok  # block 6: 5 s old at block time, at the limit
    stale = read(chain)
    assert stale.reason == "contract_error"
    assert "stale" in stale.message and "6000 ms old" in stale.message


def test_only_oracles_post(chain):
    for who in ("client-0", "dealer-0", "bank"):
        receipt = post(chain, who=who)
        assert (receipt.ok, receipt.reason) == (False, "permission_denied")


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"kind": "weather"}, "kind must be one of"),
        ({"key": ""}, "printable"),
        ({"scale": 19}, "scale must be in [0, 18]"),
        ({"kind": "fx", "key": "USD/CNY", "value": 0}, "a fx is positive"),
        ({"kind": "rating", "key": "dealer-0", "value": -1, "scale": 0}, "non-negative"),
        ({"kind": "vol", "key": "price:ACME", "value": 0}, "a vol is positive"),
        ({"kind": "hazard", "key": "FIRM B", "value": -1}, "a hazard is non-negative"),
        ({"kind": "recovery", "key": "FIRM B", "value": -1, "scale": 2}, "recovery is in [0, 1]"),
        ({"kind": "recovery", "key": "FIRM B", "value": 101, "scale": 2}, "recovery is in [0, 1]"),
        ({"observed_ms": GENESIS_TIME_MS + 10**9}, "after the block time"),
    ],
)
def test_bad_points_are_refused(chain, point, message):
    receipt = post(chain, **point)
    assert receipt.reason == "contract_error" and message in receipt.message


def test_vol_hazard_and_recovery_points_are_held_per_key(chain):
    """The valuation agent's other inputs: a vol per option underlying, a hazard rate and a
    recovery per CDS reference (0 and 100% recovery, 0 hazard are allowed)."""
    for kind, key, value in [
        ("vol", "price:ACME", 20_000_000),
        ("hazard", "FIRM B", 0),
        ("recovery", "FIRM B", 0),
        ("recovery", "FIRM C", 10**8),
    ]:
        receipt = post(chain, kind=kind, key=key, value=value, scale=8)
        assert receipt.ok, receipt.message
        assert chain.get("oracle", f"v/{kind}/{key}")["value"] == value


def test_an_older_observation_never_replaces_the_value_in_force(chain):
    assert post(chain, kind="rate", key="SOFR", value=533, scale=4).ok
    old = post(chain, kind="rate", key="SOFR", value=-10, scale=4, observed_ms=GENESIS_TIME_MS)
    assert "not after the value in force" in old.message
    assert post(chain, kind="rate", key="SOFR", value=-10, scale=4).ok  # negative rates exist
    assert read(chain, kind="rate", key="SOFR", scale=4).events[0].data == {"value": -10}
