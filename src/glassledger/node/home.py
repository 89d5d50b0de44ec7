"""A node's home directory: genesis, key files, block store and inbox.

::

    HOME/genesis.toml      the chain's genesis (participants, parameters, tokens)
    HOME/keys/<id>.json    one key file per participant (sealed when a passphrase is given)
    HOME/keys/<id>.signstate  an authority key's last-sign state (never delete it)
    HOME/node.lock         held by the running node (its PID inside)
    HOME/chain.sqlite      the block store (SQLite, WAL, synchronous=FULL)
    HOME/inbox.sqlite      signed transactions waiting for the node
    HOME/draw-seeds/<id>.json  secret seeds of the authority draws this node commits to

``glassledger init`` creates it; every other command opens it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import msgspec
import tomli_w

from glassledger.contracts.registry import standard_registry
from glassledger.errors import ConfigError, CryptoError
from glassledger.ledger.abi import Registry
from glassledger.ledger.chain import Chain
from glassledger.ledger.consensus.guard import FileSignState, sign_state_path
from glassledger.ledger.crypto import KeyPair, load_key, save_key
from glassledger.ledger.sqlite_store import SQLiteStore
from glassledger.ledger.verify import check_store
from glassledger.node.devnet import devnet_genesis
from glassledger.node.genesis import (
    GENESIS_CERTIFICATE,
    Genesis,
    build_genesis,
    load_genesis,
)

PASSPHRASE_ENV = "GLASSLEDGER_PASSPHRASE"


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def genesis(self) -> Path:
        return self.path / "genesis.toml"

    @property
    def keys(self) -> Path:
        return self.path / "keys"

    @property
    def store(self) -> Path:
        return self.path / "chain.sqlite"

    @property
    def inbox(self) -> Path:
        return self.path / "inbox.sqlite"

    def key_file(self, participant: str) -> Path:
        return self.keys / f"{participant}.json"

    def load_keys(self, participant: str) -> KeyPair:
        """Keys of ``participant`` (passphrase from ``GLASSLEDGER_PASSPHRASE`` if sealed)."""
        path = self.key_file(participant)
        if not path.exists():
            raise CryptoError(f"no key file for {participant!r} at {path}")
        return load_key(path, os.environ.get(PASSPHRASE_ENV))[1]

    def held_participants(self) -> list[str]:
        """Ids of every participant with a key file here (genesis participants and keys
        imported with ``glassledger keys add``), sorted."""
        if not self.keys.exists():
            return []
        return sorted(p.stem for p in self.keys.glob("*.json"))

    def draw_seed_file(self, participant: str) -> Path:
        """Where this node keeps ``participant``'s secret draw seeds (mode 0600)."""
        folder = self.path / "draw-seeds"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder / f"{participant}.json"

    def authority_capable_keys(self) -> list[KeyPair]:
        """Keys of every participant with a key file here (genesis or ``keys add``): the
        embedded network runs a consensus engine for each that the authority set names, so
        it keeps working when governance changes the set, and a participant registered after
        genesis and then elected seals with its imported key."""
        found = [self.load_keys(who) for who in self.held_participants()]
        if not found:
            raise ConfigError(
                f"{self.keys} holds no authority key: the embedded network needs them"
            )
        return found

    def sign_state_file(self, public_key: bytes) -> Path:
        """The last-sign state of an authority key: ``keys/<id>.signstate`` beside its key
        file (``<key hex prefix>`` when the genesis does not name the key). Kept apart from
        ``chain.sqlite``: restoring or damaging the store cannot roll it back."""
        for participant in self.load_genesis().participants:
            if participant.public_key == public_key.hex():
                return sign_state_path(self.key_file(participant.id))
        return self.keys / f"{public_key.hex()[:32]}.signstate"

    def sign_states(self, keys: list[KeyPair]) -> dict[bytes, FileSignState]:
        """The :class:`FileSignState` of each of ``keys``, by public key."""
        return {k.public: FileSignState(self.sign_state_file(k.public), k.public) for k in keys}

    def load_genesis(self) -> Genesis:
        if not self.genesis.exists():
            raise ConfigError(f"{self.path} is not a glassledger home: run `glassledger init`")
        return load_genesis(self.genesis)

    def open_chain(self, registry: Registry | None = None, *, check: bool = False) -> Chain:
        """The chain in this home, creating the store from genesis on first use. With
        ``check`` (node start-up), the store first passes :func:`check_store`, the integrity
        check ``glassledger verify`` also runs."""
        registry = registry or standard_registry()
        genesis = self.load_genesis()
        if not self.store.exists():
            block0, state = build_genesis(genesis, registry)
            store = SQLiteStore.create(self.store, block0, GENESIS_CERTIFICATE, state.data)
            return Chain(registry, store, state)
        store = SQLiteStore.open(self.store)
        if not check:
            return Chain.open(registry, store)
        try:
            state = check_store(store, genesis_hash=build_genesis(genesis, registry)[0].hash)
        except BaseException:
            store.close()
            raise
        return Chain(registry, store, state)


def init_home(
    path: Path,
    genesis: Genesis | None = None,
    passphrase: str | None = None,
) -> Home:
    """Create a home: write the genesis and a key file for every participant that has no
    public key yet (fresh random keys, sealed with ``passphrase`` when given). Without a
    genesis, a development network (4 authorities, 4 clients) is written."""
    home = Home(Path(path))
    if home.genesis.exists():
        raise ConfigError(f"{home.path} already holds a genesis; choose an empty directory")
    home.keys.mkdir(parents=True, exist_ok=True)
    if genesis is None:
        genesis = devnet_genesis()
        for participant in genesis.participants:
            participant.public_key = ""
    for participant in genesis.participants:
        if participant.public_key:
            continue
        keys = KeyPair.generate()
        save_key(home.key_file(participant.id), keys, participant.id, passphrase)
        participant.public_key = keys.public.hex()
    home.genesis.write_text(tomli_w.dumps(msgspec.to_builtins(genesis)))
    return home
