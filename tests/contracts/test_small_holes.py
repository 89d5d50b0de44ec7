"""Issue 9 section 6: the smaller holes of the attack campaign, one regression test each."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassledger.ledger.abi.names import is_participant_id, is_symbol
from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.execution import MAX_NONCE_STEP
from glassledger.ledger.tx import Transaction

STUCK = ["token", "identity", "oracle", "governance", "trades", "monitor"]


@pytest.mark.parametrize("contract", STUCK)
def test_tokens_cannot_be_sent_to_a_contract_that_does_not_accept_them(dev, contract):
    before = dev.balance("client-0")
    receipt = dev.call(
        "client-0", "token", "transfer", symbol="USD", to=f"contract:{contract}", amount=100
    )
    assert (receipt.ok, receipt.reason) == (False, "contract_error")
    assert "does not accept tokens" in receipt.message
    assert dev.balance("client-0") == before


def test_contracts_that_hold_tokens_declare_it(dev):
    registry = dev.registry.contracts
    holders = {name for name, c in registry.items() if c.accepts_tokens}
    assert {"basket", "amm"} <= holders and not holders & set(STUCK)
    receipt = dev.call("client-0", "token", "transfer", symbol="USD", to="contract:amm", amount=1)
    assert receipt.ok, receipt.message


LOOKALIKES = [
    "ＵＳＤ",  # full-width
    "UЅD",  # Cyrillic DZE
    "USD ",  # trailing space
    "US\nD",
    "U\u200dSD",  # zero-width joiner
    "..",
    "U" * 10_000,
    "",
]


@pytest.mark.parametrize("symbol", LOOKALIKES)
def test_token_symbols_are_plain_ascii(dev, symbol):
    receipt = dev.call("regulator", "token", "create", symbol=symbol, decimals=2, issuer="bank")
    assert (receipt.ok, receipt.reason) == (False, "contract_error"), symbol
    assert "ASCII letters and digits" in receipt.message


@pytest.mark.parametrize("participant", [*LOOKALIKES, "dealer..x", "-dealer", "dealer-", "a/b"])
def test_participant_ids_are_plain_ascii(dev, participant):
    key = KeyPair.from_name(f"new {participant!r}").public
    receipt = dev.call(
        "regulator", "identity", "register", participant=participant, roles=["client"], keys=[key]
    )
    assert (receipt.ok, receipt.reason) == (False, "contract_error"), participant
    assert "ASCII letters, digits" in receipt.message


@given(st.text(max_size=80))
def test_names_match_the_documented_pattern(text):
    ascii_word = text.isascii() and text.isalnum()
    assert is_symbol(text) == (ascii_word and len(text) <= 16)
    if is_participant_id(text):
        assert text.isascii() and 0 < len(text) <= 64 and ".." not in text
        assert text[0].isalnum() and text[-1].isalnum()


def test_the_regulator_role_cannot_be_granted_or_removed_at_run_time(dev):
    key = KeyPair.from_name("second-regulator").public
    register = dev.call(
        "regulator", "identity", "register", participant="reg2", roles=["regulator"], keys=[key]
    )
    assert "fixed at genesis" in register.message
    grant = dev.call(
        "regulator", "identity", "set_roles", participant="dealer-0", roles=["dealer", "regulator"]
    )
    assert (grant.ok, grant.reason) == (False, "contract_error")
    assert "fixed at genesis" in grant.message
    drop = dev.call("regulator", "identity", "set_roles", participant="regulator", roles=["oracle"])
    assert "fixed at genesis" in drop.message
    keep = dev.call(
        "regulator", "identity", "set_roles", participant="regulator", roles=["regulator"]
    )
    assert keep.ok, keep.message


def _raw_tx(dev, who: str, nonce: int):
    keys = KeyPair.from_name(who)
    args = {"symbol": "USD", "to": "client-1", "amount": 1}
    return Transaction(dev.genesis.chain_id, keys.public, nonce, "token", "transfer", args).sign(
        keys
    )


def test_a_nonce_cannot_jump_to_the_end_of_the_nonce_space(dev):
    huge = dev.commit([_raw_tx(dev, "client-0", 2**64 - 1)])[0]
    assert (huge.ok, huge.reason) == (False, "bad_nonce")
    assert f"jumps more than {MAX_NONCE_STEP}" in huge.message
    edge = dev.commit([_raw_tx(dev, "client-0", MAX_NONCE_STEP - 1)])[0]  # last is -1
    assert edge.ok, edge.message
    after = dev.commit([_raw_tx(dev, "client-0", MAX_NONCE_STEP)])[0]
    assert after.ok, after.message  # the sender can still transact
