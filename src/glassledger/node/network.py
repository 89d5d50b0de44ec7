"""Local networks of node processes on loopback: ``glassledger network init|up|down|status``.

``init`` writes, under one folder::

    NET/genesis.toml            authorities dealer-0..N-1, the regulator, a bank, clients
    NET/keys/<id>.json          a fresh key per participant (the folder is also a node home
                                for ``glassledger tx --home NET --node ADDRESS``)
    NET/nodes/<name>/node.toml  one configuration per node: key, data dir, ports, peers
    NET/network.toml            the node list (name, listen and metrics addresses)

Authority nodes are ``dealer-0..N-1``; bookkeeping nodes are the regulator, then the bank,
then extra ``member-i`` participants. ``up`` starts one process per node (its stderr log in
``NET/nodes/<name>/node.log``, its pid in ``node.pid``); ``down`` sends SIGTERM and waits;
``status`` asks every node for its height, round, leader and peers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from glassledger.contracts.registry import standard_registry
from glassledger.errors import ConfigError
from glassledger.node.devnet import devnet_genesis
from glassledger.node.frames import Status
from glassledger.node.genesis import ParticipantSpec, build_genesis, load_genesis
from glassledger.node.home import init_home

BASE_PORT = 26600


@dataclass(frozen=True)
class NodeEntry:
    name: str
    role: str
    listen: str
    metrics: str
    config: Path


def init_network(
    folder: Path,
    authorities: int = 4,
    bookkeepers: int = 1,
    base_port: int = BASE_PORT,
    clients: int = 4,
    params: dict | None = None,
    host: str = "127.0.0.1",
    peer_ports: dict[str, int] | None = None,
) -> list[NodeEntry]:
    """Write a local network (see the module docstring). ``peer_ports`` may redirect the
    address others dial for a node (a fault-injecting proxy in front of it)."""
    folder = Path(folder)
    if (folder / "network.toml").exists():
        raise ConfigError(f"{folder} already holds a network")
    if authorities < 1 or bookkeepers < 0:
        raise ConfigError("a network needs at least one authority")
    extra = [ParticipantSpec(f"member-{i}", ["client"]) for i in range(max(0, bookkeepers - 2))]
    defaults = {"block_interval_ms": 100, "round_timeout_ms": 1_000}
    genesis = devnet_genesis(
        authorities=authorities,
        clients=clients,
        chain_id="glassledger-net",
        params={**defaults, **(params or {})},
        extra=extra,
    )
    genesis.time_ms = time.time_ns() // 1_000_000 - 60_000
    for participant in genesis.participants:
        participant.public_key = ""
    init_home(folder, genesis)
    names = [f"dealer-{i}" for i in range(authorities)]
    keepers = (["regulator", "bank"] + [p.id for p in extra])[:bookkeepers]
    entries = []
    for index, name in enumerate(names + keepers):
        role = "authority" if index < authorities else "bookkeeper"
        entries.append(
            NodeEntry(
                name,
                role,
                f"{host}:{base_port + index}",
                f"{host}:{base_port + 100 + index}",
                folder / "nodes" / name / "node.toml",
            )
        )
    dial = {e.name: e.listen for e in entries}
    for name, port in (peer_ports or {}).items():
        dial[name] = f"{host}:{port}"
    for entry in entries:
        entry.config.parent.mkdir(parents=True, exist_ok=True)
        config = {
            "name": entry.name,
            "role": entry.role,
            "key": f"../../keys/{entry.name}.json",
            "genesis": "../../genesis.toml",
            "data_dir": "data",
            "listen": entry.listen,
            "metrics": entry.metrics,
            "peers": [dial[e.name] for e in entries if e.name != entry.name],
        }
        entry.config.write_text(tomli_w.dumps(config))
    (folder / "network.toml").write_text(
        tomli_w.dumps(
            {
                "nodes": [
                    {"name": e.name, "role": e.role, "listen": e.listen, "metrics": e.metrics}
                    for e in entries
                ]
            }
        )
    )
    return entries


def load_network(folder: Path) -> list[NodeEntry]:
    folder = Path(folder)
    path = folder / "network.toml"
    if not path.exists():
        raise ConfigError(f"{folder} holds no network: run `glassledger network init`")
    raw = tomllib.loads(path.read_text())
    return [
        NodeEntry(
            n["name"],
            n["role"],
            n["listen"],
            n["metrics"],
            folder / "nodes" / n["name"] / "node.toml",
        )
        for n in raw["nodes"]
    ]


def chain_identity(folder: Path) -> tuple[str, bytes]:
    """The network's chain id and genesis hash (what clients present in their hello)."""
    genesis = load_genesis(Path(folder) / "genesis.toml")
    return genesis.chain_id, build_genesis(genesis, standard_registry())[0].hash


def node_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "glassledger.node.process", "--config", str(config)]


def start_node(entry: NodeEntry) -> subprocess.Popen:
    """Start one node process (log and pid files beside its configuration)."""
    folder = entry.config.parent
    log = open(folder / "node.log", "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        node_command(entry.config),
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    (folder / "node.pid").write_text(str(process.pid))
    return process


def up(folder: Path, names: list[str] | None = None) -> list[str]:
    started = []
    for entry in load_network(folder):
        if names and entry.name not in names:
            continue
        if _running_pid(entry) is not None:
            continue
        start_node(entry)
        started.append(entry.name)
    return started


def down(folder: Path, names: list[str] | None = None, timeout_s: float = 20.0) -> list[str]:
    """SIGTERM every running node (or those named) and wait for each to exit."""
    stopped = []
    pids = {}
    for entry in load_network(folder):
        if names and entry.name not in names:
            continue
        pid = _running_pid(entry)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            pids[entry.name] = (pid, entry)
    deadline = time.monotonic() + timeout_s
    for name, (pid, entry) in pids.items():
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)  # its own group: the workers too
        (entry.config.parent / "node.pid").unlink(missing_ok=True)
        stopped.append(name)
    return stopped


def status(folder: Path) -> list[tuple[NodeEntry, Status | None]]:
    from glassledger.node.client import node_status

    chain_id, genesis_hash = chain_identity(folder)
    out = []
    for entry in load_network(folder):
        try:
            out.append((entry, node_status(entry.listen, chain_id, genesis_hash)))
        except (ConfigError, OSError):
            out.append((entry, None))
    return out


def _running_pid(entry: NodeEntry) -> int | None:
    path = entry.config.parent / "node.pid"
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
