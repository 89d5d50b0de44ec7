"""A networked node's configuration file (``glassledger node --config FILE``).

::

    name = "dealer-0"                     # used in logs and status
    role = "authority"                    # or "bookkeeper" (follows, never votes)
    key = "../../keys/dealer-0.json"      # the node key (a registered participant's key)
    genesis = "../../genesis.toml"
    data_dir = "data"                     # block store, durable ingress queue
    listen = "127.0.0.1:26600"            # peers and clients
    metrics = "127.0.0.1:26700"           # Prometheus text format at /metrics ("" = off)
    peers = ["127.0.0.1:26601", "127.0.0.1:26602"]

Relative paths are read from the configuration file's folder. Whether a node votes is decided
by the ledger, not by ``role``: a node whose key sits in the authority set of a height signs at
that height, whatever its role says; ``role`` is what operators see.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from glassledger.errors import ConfigError

ROLES = ("authority", "bookkeeper")


class NodeConfig(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    key: str
    genesis: str
    listen: str
    role: str = "authority"
    data_dir: str = "data"
    metrics: str = ""
    peers: list[str] = []
    #: Worker processes verifying signatures (1: in the node's own process).
    verify_workers: int = 2
    #: Consensus tick period in ms (timeouts fire at this granularity).
    tick_ms: int = 5
    #: Test-only fault: as proposer, send different blocks to different peers.
    equivocate: bool = False
    #: Folder the relative paths are resolved against (set by :func:`load_config`).
    base: str = "."

    def path(self, value: str) -> Path:
        candidate = Path(value)
        return candidate if candidate.is_absolute() else Path(self.base) / candidate


def parse_address(text: str) -> tuple[str, int]:
    """``"host:port"`` -> ``(host, port)``; :class:`ConfigError` when malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"address {text!r} is not host:port")
    return host, int(port)


def load_config(path: Path) -> NodeConfig:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
        config = msgspec.convert(raw, NodeConfig)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ConfigError(f"{path}: invalid node configuration: {exc}") from exc
    if config.role not in ROLES:
        raise ConfigError(f"{path}: role must be one of {ROLES}, got {config.role!r}")
    parse_address(config.listen)
    for peer in config.peers:
        parse_address(peer)
    if config.metrics:
        parse_address(config.metrics)
    config.base = str(path.parent.resolve())
    return config
