"""Execution: every typed rejection reason, and that rejections leave no trace."""

from __future__ import annotations

from glassledger.ledger.crypto import KeyPair
from glassledger.ledger.tx import SignedTransaction, Transaction


def _reason(dev, signed):
    return dev.commit([signed])[0]


def _raw(dev, who, nonce, contract="token", method="transfer", chain=None, **args):
    keys = KeyPair.from_name(who)
    tx = Transaction(chain or dev.genesis.chain_id, keys.public, nonce, contract, method, args)
    return tx.sign(keys)


def test_each_rejection_reason(dev):
    transfer = {"symbol": "USD", "to": "client-1", "amount": 1}
    cases = {
        "wrong_chain": _raw(dev, "client-0", 0, chain="other-chain", **transfer),
        "bad_signature": SignedTransaction(_raw(dev, "client-0", 0, **transfer).tx, b"\x01" * 64),
        "unknown_sender": _raw(dev, "stranger", 0, **transfer),
        "unknown_contract": _raw(dev, "client-0", 0, contract="nope"),
        "unknown_method": _raw(dev, "client-0", 0, method="steal"),
        "permission_denied": _raw(
            dev, "client-0", 0, method="mint", symbol="USD", to="client-0", amount=5
        ),
        "malformed_arguments": _raw(dev, "client-0", 0, symbol="USD", to="client-1", amount="lots"),
        "contract_error": _raw(dev, "client-0", 0, symbol="USD", to="nobody", amount=1),
    }
    for reason, signed in cases.items():
        before = {k: v for k, v in dev.chain.state.data.items() if not k.startswith(b"sys/")}
        receipt = _reason(dev, signed)
        assert (receipt.ok, receipt.reason) == (False, reason), (reason, receipt.message)
        after = {k: v for k, v in dev.chain.state.data.items() if not k.startswith(b"sys/")}
        assert before == after, reason
        assert dev.chain.state.get(b"sys/nonce/" + signed.tx.sender) is None


def test_bool_is_not_an_int_argument(dev):
    receipt = _reason(dev, _raw(dev, "client-0", 0, symbol="USD", to="client-1", amount=True))
    assert receipt.reason == "malformed_arguments"


def test_nonce_must_increase_and_may_skip(dev):
    transfer = {"symbol": "USD", "to": "client-1", "amount": 1}
    assert _reason(dev, _raw(dev, "client-0", 5, **transfer)).ok
    replay = _reason(dev, _raw(dev, "client-0", 5, **transfer))
    assert replay.reason == "bad_nonce"
    assert _reason(dev, _raw(dev, "client-0", 4, **transfer)).reason == "bad_nonce"
    assert _reason(dev, _raw(dev, "client-0", 6, **transfer)).ok


def test_rejected_transaction_does_not_consume_its_nonce(dev):
    too_much = _raw(dev, "client-0", 0, symbol="USD", to="client-1", amount=10**15)
    assert not _reason(dev, too_much).ok
    assert _reason(dev, _raw(dev, "client-0", 0, symbol="USD", to="client-1", amount=1)).ok


def test_events_are_recorded_in_receipts(dev):
    receipt = _reason(dev, _raw(dev, "client-0", 0, symbol="USD", to="client-1", amount=7))
    (event,) = receipt.events
    assert (event.contract, event.name) == ("token", "transferred")
    assert event.data == {"symbol": "USD", "sender": "client-0", "to": "client-1", "amount": 7}
