"""Node processes on loopback: one network of 4 authorities and 1 bookkeeper, each its own
process; client ingress, metrics, clean shutdown, and the transport's refusals."""

from __future__ import annotations

import asyncio
import os
import urllib.request

import pytest

from glassledger.ledger import codec
from glassledger.ledger.crypto import KeyPair
from glassledger.node.frames import (
    Auth,
    Hello,
    Kind,
    Refused,
    decode_frame,
    encode_frame,
    read_frame,
    session_tag,
    sign_handshake,
    sign_message,
)
from support.network import LocalNet, assert_no_fork

pytestmark = pytest.mark.timeout(360)
NODES = ["dealer-0", "dealer-1", "dealer-2", "dealer-3", "regulator"]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    params = {"election_period": 40, "election_window": 10}  # a draw within seconds
    network = LocalNet(tmp_path_factory.mktemp("net") / "net", params=params)
    network.start()
    try:
        network.wait_height(2, NODES, timeout_s=180)
        yield network
    finally:
        network.close()


async def _peer_session(net: LocalNet, name: str, keys: KeyPair):
    """Open a raw peer session with node ``name`` as ``keys``; returns (reader, writer,
    send tag) or the Refused frame."""
    host, port = net.address(name).split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    nonce = os.urandom(32)
    writer.write(
        encode_frame(
            Hello("bookkeeper", net.chain_id, net.genesis_hash, keys.public, nonce, 0, "tester")
        )
    )
    theirs = decode_frame(await read_frame(reader))
    assert isinstance(theirs, Hello)
    writer.write(encode_frame(sign_handshake(keys, net.chain_id, theirs.key, nonce, theirs.nonce)))
    answer = decode_frame(await asyncio.wait_for(read_frame(reader), 10))
    if isinstance(answer, Refused):
        writer.close()
        return answer
    assert isinstance(answer, Auth)
    return reader, writer, session_tag(nonce, theirs.nonce)


def test_a_transfer_submitted_to_the_bookkeeper_is_finalized_everywhere(net):
    good = net.signer.tx("client-0", "token", "transfer", symbol="USD", to="client-1", amount=5)
    refusals, receipts = net.submit("regulator", [good])
    assert refusals == [""]
    assert receipts[0].ok and receipts[0].height > 0
    # the same bytes again: a replay, refused with its reason
    refusals, _ = net.submit("dealer-1", [good])
    assert refusals[0].startswith("replay")
    # a duplicate while pending, and a used nonce with other content
    twice = net.signer.tx("client-0", "token", "transfer", symbol="USD", to="client-2", amount=1)
    refusals, receipts = net.submit("dealer-1", [twice, twice])
    assert refusals[0] == "" and refusals[1].startswith("duplicate") and receipts[0].ok
    net.signer.nonces["client-0"] = 0
    again = net.signer.tx("client-0", "token", "transfer", symbol="USD", to="client-3", amount=2)
    refusals, _ = net.submit("dealer-0", [again])
    assert refusals[0].startswith("replay: nonce 0 already used")
    net.signer.nonces["client-0"] = 2
    # a transfer beyond the balance: a rejection receipt in a block
    bad = net.signer.tx("client-2", "token", "transfer", symbol="USD", to="client-1", amount=10**15)
    _, receipts = net.submit("dealer-2", [bad])
    assert not receipts[0].ok and receipts[0].reason == "contract_error"
    metrics = urllib.request.urlopen(f"http://{net.entries['dealer-0'].metrics}/metrics").read()
    text = metrics.decode()
    for name in (
        "glassledger_height",
        "glassledger_round_changes_total",
        "glassledger_mempool_size",
        "glassledger_finality_latency_seconds_bucket",
        "glassledger_peers 4.0",
    ):
        assert name in text
    status = net.status("dealer-3")
    assert status.authority and len(status.peers) == 4
    assert not net.status("regulator").authority


def test_an_unregistered_peer_key_is_refused_with_its_reason(net):
    outsider = KeyPair.from_name("outsider")
    answer = asyncio.run(_peer_session(net, "dealer-0", outsider))
    assert isinstance(answer, Refused)
    assert answer.reason == "key not in the identity registry"
    refused = [e for e in net.log("dealer-0") if e["event"] == "peer_refused"]
    assert refused and refused[-1]["key"] == outsider.public.hex()[:16]


def test_a_frame_with_a_bad_signature_is_dropped(net):
    keys = net.signer.keys("client-3")  # a registered participant: admitted as a peer
    first = net.signer.tx("client-3", "token", "transfer", symbol="USD", to="client-0", amount=1)

    async def go():
        _, writer, tag = await _peer_session(net, "dealer-1", keys)
        body = codec.encode([first.encode()])
        forged = sign_message(keys, tag, 1, Kind.TXS, body)
        forged = type(forged)(forged.seq, forged.kind, body, bytes(64))
        writer.write(encode_frame(forged))
        await writer.drain()
        # the session stays open until the node has logged the drop (bounded, not a sleep)
        await asyncio.to_thread(net.wait_log, "dealer-1", "frame_dropped")
        writer.close()

    asyncio.run(go())
    dropped = [e for e in net.log("dealer-1") if e["event"] == "frame_dropped"]
    assert dropped and dropped[-1]["reason"] == "bad signature"
    # the transaction inside the forged frame never reached a block

    async def ask():
        async with net.client("dealer-1") as client:
            return await client.receipts([first.hash], 1500)

    (receipt,) = asyncio.run(ask())
    assert receipt.reason == "pending" and receipt.height == -1


def test_the_regulator_node_commits_and_reveals_the_draw_seed(net):
    net.wait_height(45, ["regulator"], timeout_s=180)
    duties = [e["calls"] for e in net.log("regulator") if e["event"] == "regulator_duty"]
    assert ["commit_seed"] in duties and ["reveal_seed"] in duties
    store = net.store("dealer-0")
    try:
        assert store.events(contract="governance", name="elected")
    finally:
        store.close()


def test_sigterm_stops_every_node_cleanly_without_a_fork(net):
    codes = net.terminate()
    assert set(codes.values()) == {0}
    for name in NODES:
        assert net.log(name)[-1]["event"] == "stopped"
    assert assert_no_fork(net, NODES) >= 2
