"""Issue 9, section 1: a truncated or damaged store file (main file or write-ahead log) is
caught the same way by node start-up (:func:`check_store`) and by ``verify``
(:func:`verify_chain`, which runs it first); SQLite's ``DatabaseError`` is a typed
:class:`StoreError`; damage that SQLite silently repairs by dropping log frames leaves a
valid prefix of the chain, never different blocks."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from glassledger.contracts.registry import standard_registry
from glassledger.errors import GlassledgerError, StoreError
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.verify import check_store, verify_chain
from glassledger.node.clocked import ClockedChain
from glassledger.node.devnet import devnet_genesis

SEED = 20_261_204
FLIPS = 16
CLIENTS = [f"client-{i}" for i in range(4)]


@pytest.fixture(scope="module")
def damaged_source(tmp_path_factory):
    """A 16-block chain whose first 8 blocks are in the main file and the rest only in the
    write-ahead log (copied while the writer is open, as after a kill -9)."""
    root = tmp_path_factory.mktemp("store")
    path = root / "chain.sqlite"
    dev = ClockedChain.start(devnet_genesis(clients=4), None, path, draw_seed=None)
    rng = random.Random(SEED)

    def blocks(n):
        for _ in range(n):
            txs = []
            for _ in range(6):
                a, b = rng.sample(CLIENTS, 2)
                txs.append(
                    dev.tx(a, "token", "transfer", symbol="USD", to=b, amount=rng.randint(1, 9))
                )
            dev.commit(txs)

    blocks(8)
    dev.store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    blocks(8)
    snapshot = root / "snap"
    snapshot.mkdir()
    for f in root.glob("chain.sqlite*"):
        shutil.copy2(f, snapshot / f.name)
    hashes = [dev.store.get_header(h).hash for h in range(dev.store.head_height() + 1)]
    dev.close()  # checkpoints the log into the main file
    closed = root / "closed"
    closed.mkdir()
    shutil.copy2(path, closed / "chain.sqlite")
    assert (snapshot / "chain.sqlite-wal").stat().st_size > 0
    return snapshot, closed, hashes


def outcome(files: Path, run) -> tuple[str, object]:
    """('ok', head) or ('error', message); any other exception fails the test."""
    work = files.parent / f"{files.name}-{run.__name__}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(files, work)
    try:
        store = SQLiteStore.open(work / "chain.sqlite")
        try:
            return "ok", run(store)
        finally:
            store.close()
    except GlassledgerError as exc:
        return "error", str(exc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def startup(store):
    check_store(store)
    return store.head_height()


def verify(store):
    return verify_chain(store, standard_registry())


def damage_cases(snapshot: Path, closed: Path):
    """(label, files, file name, action): truncations, a lost log and bit flips, in a store
    with recent blocks in its log and in a checkpointed one (every page in the main file)."""
    rng = random.Random(SEED)
    main = (snapshot / "chain.sqlite").stat().st_size
    wal = (snapshot / "chain.sqlite-wal").stat().st_size
    cases = []
    full = (closed / "chain.sqlite").stat().st_size
    for size in (main // 2, main - 4096, 504, 100):
        cases.append((f"main truncated to {size}", snapshot, "chain.sqlite", ("truncate", size)))
    for size in (full // 2, full - 4096, 504):
        cases.append((f"closed truncated to {size}", closed, "chain.sqlite", ("truncate", size)))
    for size in (wal // 3, wal - 1000, 33):
        cases.append((f"wal truncated to {size}", snapshot, "chain.sqlite-wal", ("truncate", size)))
    cases.append(("wal lost", snapshot, "chain.sqlite-wal", ("delete", 0)))
    for files, name, size in (
        (snapshot, "chain.sqlite", main),
        (snapshot, "chain.sqlite-wal", wal),
        (closed, "chain.sqlite", full),
        (closed, "chain.sqlite", full),
    ):
        for _ in range(FLIPS):
            offset = rng.randrange(size)
            cases.append(
                (f"{files.name}/{name} bit {offset}:{offset % 8}", files, name, ("flip", offset))
            )
    return cases


def apply(case_dir: Path, name: str, action: tuple[str, int]) -> None:
    target = case_dir / name
    kind, value = action
    if kind == "delete":
        target.unlink()
    elif kind == "truncate":
        with target.open("r+b") as f:
            f.truncate(value)
    else:
        data = bytearray(target.read_bytes())
        data[value] ^= 1 << (value % 8)
        target.write_bytes(bytes(data))


def test_start_up_and_verify_agree_on_every_damaged_store(damaged_source, tmp_path):
    snapshot, closed, hashes = damaged_source
    disagreements, refused, prefixes = [], 0, 0
    for label, files, name, action in damage_cases(snapshot, closed):
        case = tmp_path / "case"
        shutil.rmtree(case, ignore_errors=True)
        shutil.copytree(files, case)
        apply(case, name, action)
        started = outcome(case, startup)
        verified = outcome(case, verify)
        if started[0] != verified[0] and "hook events" not in str(verified[1]):
            disagreements.append((label, started, verified))
        if verified[0] == "error":
            refused += 1
            assert "Traceback" not in str(verified[1])
        else:
            prefixes += 1
            head = verified[1]
            # SQLite dropped log frames at most: what remains is a prefix of the chain.
            work = tmp_path / "prefix"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(case, work)
            with SQLiteStore.open(work / "chain.sqlite") as store:
                assert [store.get_header(h).hash for h in range(head + 1)] == hashes[: head + 1]
    assert not disagreements, disagreements
    print(f"{refused} refused by both, {prefixes} read as a prefix of the chain")
    assert refused >= 10 and prefixes >= 8


def test_a_malformed_database_is_a_typed_store_error(damaged_source, tmp_path):
    _, closed, _ = damaged_source
    case = tmp_path / "garbage"
    shutil.copytree(closed, case)
    data = bytearray((case / "chain.sqlite").read_bytes())
    data[4096 : 4096 * 3] = bytes(range(256)) * 32  # overwrite two pages
    (case / "chain.sqlite").write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"damaged .*restore chain\.sqlite"):
        store = SQLiteStore.open(case / "chain.sqlite")
        check_store(store)
