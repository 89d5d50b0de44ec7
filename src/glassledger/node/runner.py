"""The ``glassledger node`` process: one node per home, fed by the home's inbox.

* :class:`NodeLock` — ``HOME/node.lock``, held (``flock``) while a node runs, with its PID: a
  second node on the same home is refused with the first one's PID.
* :func:`run_embedded` — the embedded network (every authority key of the home in one
  process) driven until a stop condition, a stop signal (SIGTERM, SIGINT) or a fault. Inbox
  rows are read without being removed, and removed only once their block is durable (or with
  a refusal receipt, or quarantined): see :mod:`glassledger.node.inbox`.
* Authority keys sign through their :class:`~glassledger.ledger.consensus.guard.FileSignState`.
  When the store is behind the keys' sign marks (restored or damaged store), the node
  refuses to run its authorities and says why (:class:`NodeRefused`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from glassledger.errors import ConfigError, DecodeError, RejectReason, StoreError, TxRejected
from glassledger.ledger.tx import decode_transaction
from glassledger.node.home import Home
from glassledger.node.inbox import Inbox

log = logging.getLogger("glassledger.node")

#: Inbox rows read per step, and the mempool size above which the node stops reading.
READ_BATCH = 20_000
MEMPOOL_HIGH_WATER = 200_000


class NodeRunning(ConfigError):
    """Another node process holds this home."""


class NodeRefused(ConfigError):
    """The node's authority keys refuse to sign with this store (see :meth:`SignState.refusal`)."""


class NodeLock:
    """``HOME/node.lock``: an exclusive ``flock`` held for the node's lifetime, the PID
    written inside. The kernel releases it when the process dies, however it dies."""

    def __init__(self, home: Home) -> None:
        self.path = home.path / "node.lock"
        self._fd: int | None = None

    def acquire(self) -> NodeLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise NodeRunning(
                f"a node is already running on {self.path.parent} (PID {pid}); stop it first "
                "(kill -TERM <pid>) or use another --home"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> NodeLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_node(home: Home) -> int | None:
    """The PID of the node running on ``home``, or None when none is."""
    path = home.path / "node.lock"
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@dataclass
class RunReport:
    start_height: int
    height: int = 0
    committed: int = 0
    refused: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    stopped_by: str = ""


class _StopSignals:
    """SIGTERM and SIGINT set a flag; the loop ends after the step in progress."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _StopSignals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread (tests): no handler
                self._previous[sig] = signal.signal(sig, self._set)
        return self

    def _set(self, signum, frame) -> None:
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def run_embedded(
    home: Home,
    *,
    blocks: int | None = None,
    until_empty: bool = False,
    seconds: float | None = None,
    on_status: Callable[[str], None] | None = None,
    on_refused: Callable[[str], None] | None = None,
    verifier=None,
) -> RunReport:
    """Run the home's embedded network until ``blocks`` new blocks, an empty inbox and
    mempool (``until_empty``), ``seconds``, or SIGTERM/SIGINT. Holds :class:`NodeLock`."""
    from glassledger.ledger.crypto import BatchVerifier
    from glassledger.node.embedded import EmbeddedNetwork

    with _StopSignals() as stop, NodeLock(home):
        chain = home.open_chain(check=True)
        keys = home.authority_capable_keys()
        guards = home.sign_states(keys)
        report = RunReport(chain.height)
        own_verifier = verifier is None
        verifier = verifier or BatchVerifier()
        inbox = Inbox(home.inbox)
        try:
            net = EmbeddedNetwork(chain, keys, verifier=verifier, guards=dict(guards))
            if not net.able_to_finalize():
                refusals = net.refusals()
                ids = {p.public_key: p.id for p in home.load_genesis().participants}
                names = ", ".join(ids.get(k.hex(), k.hex()[:16]) for k in refusals)
                reason = next(iter(refusals.values()), "")
                raise NodeRefused(
                    f"{len(refusals)} authority key(s) of this node ({names}) refuse to sign: "
                    f"{reason}"
                )
            feeder = _InboxFeeder(inbox, net, report, on_refused)
            duties = regulator_duties(home, chain, queued=inbox.max_nonce)

            def on_block(block, certificate) -> None:
                feeder.block_durable(block)
                net.submit_many(duties())

            net.on_block = on_block
            net.submit_many(duties())
            start = time.monotonic()
            while True:
                fed = feeder.feed()
                net.step()
                feeder.drain_dropped()
                if on_status is not None:
                    on_status(
                        f"height {chain.height}, mempool {len(net.mempool)}, "
                        f"{sum(c.tx_count for c in net.commits)} transactions committed"
                    )
                if stop.signal is not None:
                    report.stopped_by = signal.Signals(stop.signal).name
                    break
                if blocks is not None and chain.height - report.start_height >= blocks:
                    break
                if until_empty and not fed and len(net.mempool) == 0 and not feeder.waiting():
                    break
                if seconds is not None and time.monotonic() - start >= seconds:
                    break
                time.sleep(0.002)
        finally:
            inbox.close()
            if own_verifier:
                verifier.close()
            chain.store.close()
        report.height = chain.height
        report.committed = sum(c.tx_count for c in net.commits)
        return report


class _InboxFeeder:
    """Moves inbox rows into the mempool without removing them, and removes them once their
    block is durable (or refuses / quarantines them with a reason)."""

    def __init__(self, inbox: Inbox, net, report: RunReport, on_refused) -> None:
        self.inbox = inbox
        self.net = net
        self.report = report
        self.on_refused = on_refused
        self.after_id = 0
        #: inbox row ids by transaction hash, for rows whose transaction is in the mempool
        self.rows: dict[bytes, list[int]] = {}
        self.store = net.chain.store

    def waiting(self) -> bool:
        return bool(self.rows) or self.inbox.pending() > 0

    def feed(self) -> int:
        """Read new rows into the mempool; the number read."""
        if len(self.net.mempool) >= MEMPOOL_HIGH_WATER:
            return 0
        rows = self.inbox.read(self.after_id, READ_BATCH)
        quarantine: list[tuple[int, str]] = []
        refuse: list[tuple[int, bytes, str, str]] = []
        done: list[int] = []
        admitted: list[tuple[int, bytes, bytes]] = []
        for row in rows:
            if row.data is None:
                quarantine.append((row.id, row.problem or "not transaction bytes"))
                continue
            try:
                signed = decode_transaction(row.data)
            except DecodeError as exc:
                quarantine.append((row.id, f"undecodable transaction: {exc}"))
                continue
            tx_hash = signed.hash
            if tx_hash in self.rows:
                self.rows[tx_hash].append(row.id)
                continue
            if self.store.find_tx(tx_hash) is not None:
                done.append(row.id)  # committed before a restart; the row outlived it
                continue
            admitted.append((row.id, tx_hash, row.data))
        read_up_to = rows[-1].id if rows else self.after_id
        outcomes = self.net.submit_many([data for _, _, data in admitted])
        for (row_id, tx_hash, _), outcome in zip(admitted, outcomes, strict=True):
            if isinstance(outcome, TxRejected) and outcome.reason == RejectReason.MEMPOOL_FULL:
                read_up_to = min(read_up_to, row_id - 1)  # read it again later
            elif isinstance(outcome, Exception):
                reason = getattr(outcome, "reason", RejectReason.MALFORMED)
                refuse.append((row_id, tx_hash, str(reason), str(outcome)))
            else:
                self.rows.setdefault(tx_hash, []).append(row_id)
        self.after_id = read_up_to
        self.inbox.quarantine(quarantine)
        self.inbox.refuse(refuse)
        self.inbox.remove(done)
        for row_id, reason in quarantine:
            message = f"inbox row {row_id} quarantined: {reason}"
            log.warning(message)
            self.report.quarantined.append(message)
        for _, tx_hash, _reason, message in refuse:
            self._refused(f"{tx_hash.hex()[:16]} refused: {message}")
        return len(rows)

    def drain_dropped(self) -> None:
        """Rows whose transactions the mempool dropped (bad signature) get refusal receipts."""
        dropped = self.net.mempool.dropped
        refuse = []
        while dropped:
            item = dropped.popleft()
            for row_id in self.rows.pop(item.tx_hash, []):
                refuse.append((row_id, item.tx_hash, str(item.reason), item.message))
        self.inbox.refuse(refuse)
        for _, tx_hash, reason, message in refuse:
            self._refused(f"{tx_hash.hex()[:16]} refused: {reason}: {message}")

    def block_durable(self, block) -> None:
        """``block`` is in the store: its transactions' rows may go."""
        ids = [i for tx in block.txs for i in self.rows.pop(tx.hash, [])]
        self.inbox.remove(ids)

    def _refused(self, message: str) -> None:
        self.report.refused.append(message)
        log.info(message)
        if self.on_refused is not None:
            self.on_refused(message)


def regulator_duties(home: Home, chain, queued: Callable[[bytes], int] | None = None):
    """The node's share of the authority draws for every committer whose key the home holds
    (the regulator, and the authorities sitting when a draw opens): commit a fresh secret
    seed before each draw closes and reveal it after, the regulator first (seeds kept in
    ``HOME/draw-seeds/<id>.json``, mode 0600). Returns a callable that gives the signed
    transactions due now. ``queued(public key)``: the highest nonce of that key's
    transactions queued in the inbox (-1: none), which a duty's nonce must pass."""
    import msgspec

    from glassledger.node.regulator import DrawDuties

    held = []
    for participant in home.held_participants():
        record = chain.state.get(f"identity/p/{participant}".encode())
        roles = [] if record is None else msgspec.msgpack.decode(record)["roles"]
        held.append((participant, home.load_keys(participant), "regulator" in roles))
    duties = DrawDuties.for_keys(chain.chain_id, held, home.draw_seed_file, queued=queued)
    return lambda: [tx.encode() for tx in duties.due(chain.state, chain.height + 1)]


def catch_up_from_store(
    home: Home, source: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Bring the home's store up to the head of another copy of the chain (a peer's or a
    bookkeeper's ``chain.sqlite``, or an export), committing each missing block only if its
    certificate verifies and its re-execution reproduces every root. Returns the new head.

    The operator's second step after restoring a damaged store: it lets authority keys whose
    sign state is ahead of the restored store sign again (see docs/ledger-storage.md)."""
    from glassledger.ledger.sqlite_store import SQLiteStore

    with NodeLock(home):
        chain = home.open_chain(check=True)
        peer = SQLiteStore.open(source, readonly=True)
        try:
            if peer.get_block(0).hash != chain.store.get_block(0).hash:
                raise StoreError(f"{source} holds another chain (its genesis differs)")
            height = chain.height
            if peer.head_height() >= height and peer.get_header(height).hash != chain.head.hash:
                raise StoreError(
                    f"{source} holds a different block {height} than this home: the two "
                    "certificates are evidence of double-signing (glassledger report-fork)"
                )
            for h in range(height + 1, peer.head_height() + 1):
                chain.commit(peer.get_block(h), peer.get_certificate(h))
                if progress is not None:
                    progress(h)
            return chain.height
        finally:
            peer.close()
            chain.store.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m glassledger.node.runner --home H [--seconds S] [--until-empty]``: the
    embedded node without the command line's imports (crash tests start it many times)."""
    import argparse

    from glassledger.errors import GlassledgerError

    parser = argparse.ArgumentParser(prog="glassledger.node.runner")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--blocks", type=int)
    parser.add_argument("--until-empty", action="store_true")
    options = parser.parse_args(argv)
    try:
        report = run_embedded(
            Home(options.home),
            blocks=options.blocks,
            until_empty=options.until_empty,
            seconds=options.seconds,
        )
    except GlassledgerError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    stopped = f", stopped by {report.stopped_by}" if report.stopped_by else ""
    print(f"height {report.height} ({report.committed} transactions{stopped})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
