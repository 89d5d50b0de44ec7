"""The client protocol's state read: ``StateRequest`` pages answered by
:func:`glassledger.node.process.state_page`, joined by ``NodeClient.read_state`` at one
height (the frames go through their wire encoding); the request's signature. Who may read
is checked by the node on a running network (tests/pricing/test_agent_node.py)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from glassledger.errors import ConfigError
from glassledger.ledger.crypto import KeyPair
from glassledger.node.client import NodeClient
from glassledger.node.frames import (
    StateRequest,
    decode_frame,
    encode_frame,
    sign_state_request,
    state_request_valid,
)
from glassledger.node.process import state_page

KEYS = KeyPair.from_name("regulator")


class StoreClient(NodeClient):
    """A client whose node is ``state_page`` on a store, with tiny pages."""

    def __init__(self, store, max_keys: int, max_bytes: int = 1 << 20) -> None:
        super().__init__("127.0.0.1:1", "chain", b"")
        self.store, self.max_keys, self.max_bytes = store, max_keys, max_bytes
        self.pages = 0

    async def _ask(self, frame):
        request = decode_frame(encode_frame(frame)[4:])
        assert state_request_valid(request, self.chain_id)
        self.pages += 1
        reply = state_page(self.store, request, self.max_keys, self.max_bytes)
        return decode_frame(encode_frame(reply)[4:])


@pytest.fixture
def chain(make_dev, tmp_path):
    dev = make_dev(path=tmp_path / "chain.sqlite")
    for i in range(3):
        dev.ok("client-0", "token", "transfer", symbol="USD", to=f"client-{i + 1}", amount=1)
    return dev


def test_pages_join_to_the_state_under_the_prefixes_at_one_height(chain):
    store = chain.store
    prefixes = [b"token/b/", b"identity/"]
    want = {k: v for p in prefixes for k, v in store.scan_at(p, 2).items()}
    assert len(want) > 10
    client = StoreClient(store, max_keys=3)
    reply = asyncio.run(client.read_state(KEYS, prefixes, 2))
    assert dict(reply.items) == want and [k for k, _ in reply.items] == sorted(want)
    assert reply.height == 2 and reply.time_ms == store.get_header(2).timestamp_ms
    assert client.pages == -(-len(want) // 3)  # every page full but the last
    # the head (-1) is pinned by the first page; a byte budget also cuts pages
    client = StoreClient(store, max_keys=1_000, max_bytes=100)
    reply = asyncio.run(client.read_state(KEYS, prefixes))
    assert reply.height == store.head_height() and client.pages > 1
    assert dict(reply.items) == {
        k: v for p in prefixes for k, v in store.load_state().items() if k.startswith(p)
    }
    # the balances differ between heights 1 and 3: the height asked for is the one read
    low = asyncio.run(StoreClient(store, 2).read_state(KEYS, [b"token/b/"], 1))
    high = asyncio.run(StoreClient(store, 2).read_state(KEYS, [b"token/b/"], 3))
    assert dict(low.items) != dict(high.items)


def test_a_height_above_the_head_is_refused_with_the_reason(chain):
    page = state_page(chain.store, StateRequest([b"token/"], 99))
    assert page.error == f"height 99 is above the head {chain.store.head_height()}"
    with pytest.raises(ConfigError, match="cannot read the state: height 99 is above"):
        asyncio.run(StoreClient(chain.store, 5).read_state(KEYS, [b"token/"], 99))


def test_a_state_read_is_signed_for_one_chain_and_its_fields():
    request = sign_state_request(KEYS, "chain", [b"oracle/v/"], -1, b"", 1_000)
    assert state_request_valid(request, "chain")
    assert not state_request_valid(request, "another-chain")
    for field, value in [
        ("prefixes", [b"identity/"]),
        ("height", 5),
        ("after", b"oracle/v/z"),
        ("issued_ms", 2_000),
        ("reader", KeyPair.from_name("client-0").public),
    ]:
        tampered = msgspec.structs.replace(request, **{field: value})
        assert not state_request_valid(tampered, "chain"), field
    assert not state_request_valid(StateRequest([b"oracle/v/"]), "chain")  # unsigned
