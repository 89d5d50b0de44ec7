"""``oracle.post_batch`` and the ``mark`` kind (the valuation agent's interface)."""

from __future__ import annotations


def test_post_batch_stores_points_and_records_the_block(dev):
    r = dev.call(
        "regulator",
        "oracle",
        "post_batch",
        kind="price",
        points=[["A", 101], ["B", 202]],
        scale=0,
        observed_ms=dev.time_ms,
    )
    assert r.ok, r.message
    assert dev.get("oracle", "v/price/A")["value"] == 101
    assert dev.get("oracle", "v/price/B")["value"] == 202
    assert dev.get("oracle", "touched/price") == {
        "height": dev.height,
        "points": [["A", 101], ["B", 202]],
    }
    assert [e.name for e in r.events] == ["posted_batch"]


def test_marks_are_kept_as_the_blocks_batch_not_per_key(dev):
    r = dev.call(
        "regulator",
        "oracle",
        "post_batch",
        kind="mark",
        points=[["T1", -500], ["T2", 700]],
        scale=0,
        observed_ms=dev.time_ms,
    )
    assert r.ok, r.message
    assert dev.get("oracle", "v/mark/T1") is None
    assert dev.get("oracle", "touched/mark")["points"] == [["T1", -500], ["T2", 700]]
    assert dev.get("oracle", "last/mark") == dev.time_ms - 1_000


def test_bad_batches_are_refused(dev):
    def refused(**args):
        base = {"kind": "mark", "points": [["T1", 1]], "scale": 0, "observed_ms": dev.time_ms}
        receipt = dev.call("regulator", "oracle", "post_batch", **(base | args))
        assert not receipt.ok
        return receipt.message

    assert refused(points=[["T1", 1], ["T1", 2]]) == "a batch names each key once"
    assert refused(scale=2) == "a mark is in minor units: scale 0"
    assert "each point is [key, int value]" in refused(points=[["T1", "1"]])
    assert "a batch holds" in refused(points=[])
    dev.call(
        "regulator",
        "oracle",
        "post_batch",
        kind="mark",
        points=[["T1", 1]],
        scale=0,
        observed_ms=dev.time_ms,
    )
    assert "before the last marks'" in refused(observed_ms=dev.time_ms - 10_000)
    denied = dev.call(
        "client-0",
        "oracle",
        "post_batch",
        kind="mark",
        points=[["T1", 1]],
        scale=0,
        observed_ms=dev.time_ms,
    )
    assert denied.reason == "permission_denied"
