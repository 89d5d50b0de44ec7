"""The in-process transport: FIFO delivery from a queue, no recursion, no self-delivery."""

from __future__ import annotations

from glassledger.ledger.consensus.transport import InProcessTransport


def test_delivery_is_fifo_and_messages_sent_while_delivering_are_queued():
    transport = InProcessTransport()
    log: list[tuple[str, bytes, bytes]] = []
    depth = [0]

    def handler(name: str):
        def handle(sender: bytes, payload: bytes) -> None:
            depth[0] += 1
            assert depth[0] == 1  # never called from inside another handler
            log.append((name, sender, payload))
            if payload == b"ping" and name == "b":
                transport.send(b"B", b"A", b"pong")
            depth[0] -= 1

        return handle

    transport.register(b"A", handler("a"))
    transport.register(b"B", handler("b"))
    transport.register(b"C", handler("c"))
    transport.broadcast(b"A", b"ping")
    transport.send(b"C", b"nobody", b"lost")  # unknown recipient: dropped
    assert transport.pending() == 2
    assert transport.deliver_all() == 3
    assert log == [("b", b"A", b"ping"), ("c", b"A", b"ping"), ("a", b"B", b"pong")]
    assert transport.delivered == 3 and transport.pending() == 0


def test_deliver_all_honours_a_limit():
    transport = InProcessTransport()
    seen = []
    transport.register(b"A", lambda sender, payload: seen.append(payload))
    for payload in (b"1", b"2", b"3"):
        transport.send(b"X", b"A", payload)
    assert transport.deliver_all(limit=2) == 2 and seen == [b"1", b"2"]
    assert transport.deliver_all() == 1 and seen == [b"1", b"2", b"3"]
