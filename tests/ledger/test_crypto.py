"""Ed25519 keys, domain-separated signatures and key files."""

from __future__ import annotations

import pytest

from glassledger.errors import CryptoError
from glassledger.ledger.crypto import BatchVerifier, KeyPair, load_key, save_key, sha256, verify


def test_sha256_known_vector():
    # FIPS 180-2, appendix B.1: SHA-256("abc")
    assert sha256(b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_rfc8032_test_vector_1():
    # RFC 8032 section 7.1, TEST 1: empty message. Our signatures are domain-separated, so
    # check the raw primitive through PyNaCl with the RFC's secret key.
    import nacl.signing

    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    signing = nacl.signing.SigningKey(seed)
    assert bytes(signing.verify_key).hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert signing.sign(b"").signature.hex().startswith("e5564300c360ac729086e2cc806e828a")
    assert KeyPair.from_seed(seed).public == bytes(signing.verify_key)


def test_signature_is_bound_to_domain_and_payload():
    keys = KeyPair.from_name("alice")
    sig = keys.sign(b"glassledger/tx", b"payload")
    assert verify(keys.public, b"glassledger/tx", b"payload", sig)
    assert not verify(keys.public, b"glassledger/commit", b"payload", sig)
    assert not verify(keys.public, b"glassledger/tx", b"payloaD", sig)
    assert not verify(KeyPair.from_name("bob").public, b"glassledger/tx", b"payload", sig)
    assert not verify(keys.public[:31], b"glassledger/tx", b"payload", sig)
    assert not verify(keys.public, b"glassledger/tx", b"payload", sig[:63])


def test_batch_verifier_matches_single_verification():
    keys = KeyPair.from_name("alice")
    items = [(keys.public, b"d", bytes([i]), keys.sign(b"d", bytes([i]))) for i in range(40)]
    items[7] = (keys.public, b"d", b"tampered", items[7][3])
    with BatchVerifier(workers=2, min_parallel=8) as verifier:
        results = verifier.verify_many(items)
    assert results == [i != 7 for i in range(40)]


def test_plain_key_file_round_trip(tmp_path):
    keys = KeyPair.generate()
    save_key(tmp_path / "k.json", keys, "alice")
    assert load_key(tmp_path / "k.json") == ("alice", keys)
    with pytest.raises(CryptoError, match="already exists"):
        save_key(tmp_path / "k.json", keys, "alice")


def test_sealed_key_file_needs_the_right_passphrase(tmp_path):
    keys = KeyPair.generate()
    save_key(tmp_path / "k.json", keys, "alice", passphrase="correct horse")
    assert keys.seed.hex() not in (tmp_path / "k.json").read_text()
    assert load_key(tmp_path / "k.json", "correct horse") == ("alice", keys)
    with pytest.raises(CryptoError, match="wrong passphrase"):
        load_key(tmp_path / "k.json", "battery staple")
    with pytest.raises(CryptoError, match="encrypted"):
        load_key(tmp_path / "k.json")


def test_unreadable_key_file_is_a_typed_error(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CryptoError, match="cannot read"):
        load_key(tmp_path / "bad.json")
