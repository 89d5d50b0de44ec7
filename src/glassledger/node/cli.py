"""Ledger commands: init, node, tx, chain, block, state, proof, verify.

Every command works on a node home (``--home``, default ``./.glassledger``); see
:mod:`glassledger.node.home`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from glassledger.errors import ConfigError, GlassledgerError
from glassledger.ledger.codec import to_jsonable
from glassledger.node.home import Home, init_home
from glassledger.options import (
    DEFAULT_HOME,
    HOME_ENV,
    HomeOption,
    NewHomeOption,
    address,
    existing_dir,
    home_or_default,
    in_file,
    key_home,
    new_dir,
    node_home,
    out_file,
    participant,
    refuse,
)

console = Console()

CheckpointOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoint",
        parser=in_file,
        help="A certified block (the JSON `glassledger block N` prints) the chain must hold; "
        "repeatable.",
    ),
]


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


bench_app = typer.Typer(
    rich_markup_mode="markdown", help="Performance measurements.", no_args_is_help=True
)


@bench_app.command("ledger")
def bench_ledger(
    transfers: Annotated[int, typer.Option(help="Transfers for the throughput run.")] = 100_000,
    rate: Annotated[float, typer.Option(help="Offered transfers/s for the latency run.")] = 5_000,
    seconds: Annotated[float, typer.Option(help="Length of the latency run.")] = 10.0,
) -> None:
    """Transfers committed per second (4 authorities, SQLite, every signature verified)
    against the raw Ed25519 verification rate, and p99 submit-to-finality latency."""
    from glassledger.node.bench import format_result, run

    result = run(
        transfers,
        offered_rate=rate,
        latency_seconds=seconds,
        report=lambda line: console.print(f"[dim]{line}[/dim]"),
    )
    console.print(format_result(result))


network_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Local networks of node processes on loopback (docs/network.md).",
    no_args_is_help=True,
)
NetworkDir = Annotated[
    Path,
    typer.Option(
        "--dir", help="The network's folder.", envvar="GLASSLEDGER_NETWORK", parser=existing_dir
    ),
]
NewNetworkDir = Annotated[
    Path,
    typer.Option(
        "--dir", help="The network's folder.", envvar="GLASSLEDGER_NETWORK", parser=new_dir
    ),
]
DEFAULT_NETWORK = Path(".glassledger-net")


@network_app.command("init")
def network_init(
    folder: NewNetworkDir = DEFAULT_NETWORK,
    authorities: Annotated[int, typer.Option(help="Authority nodes.")] = 4,
    bookkeepers: Annotated[int, typer.Option(help="Bookkeeping (read-only) nodes.")] = 1,
    base_port: Annotated[int, typer.Option(help="First listen port (metrics at +100).")] = 26600,
) -> None:
    """Write configuration, keys and one data directory per node, on loopback."""
    from glassledger.node.network import init_network

    try:
        entries = init_network(folder, authorities, bookkeepers, base_port)
    except GlassledgerError as exc:
        refuse(exc)
    for entry in entries:
        console.print(f"{entry.name:<12} {entry.role:<10} {entry.listen}  {entry.config}")


@network_app.command("up")
def network_up(
    folder: NetworkDir = DEFAULT_NETWORK,
    node: Annotated[list[str] | None, typer.Option(help="Only these nodes.")] = None,
) -> None:
    """Start every node (or those named) as its own process."""
    from glassledger.node.network import up

    try:
        started = up(folder, node)
    except GlassledgerError as exc:
        refuse(exc)
    console.print(f"started: {', '.join(started) or 'nothing (already running)'}")


@network_app.command("down")
def network_down(
    folder: NetworkDir = DEFAULT_NETWORK,
    node: Annotated[list[str] | None, typer.Option(help="Only these nodes.")] = None,
) -> None:
    """Stop every node (or those named) with SIGTERM and wait for a clean exit."""
    from glassledger.node.network import down

    try:
        stopped = down(folder, node)
    except GlassledgerError as exc:
        refuse(exc)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@network_app.command("status")
def network_status(folder: NetworkDir = DEFAULT_NETWORK) -> None:
    """Height, round, leader and peers of every node."""
    from glassledger.node.network import status

    try:
        rows = status(folder)
    except GlassledgerError as exc:
        refuse(exc)
    table = Table(title=f"network {folder}")
    for column in ("node", "role", "address", "height", "round", "leader", "seat", "peers"):
        table.add_column(column)
    for entry, st in rows:
        if st is None:
            table.add_row(entry.name, entry.role, entry.listen, "down", "", "", "", "")
        else:
            table.add_row(
                st.name,
                st.role,
                entry.listen,
                str(st.height),
                str(st.round),
                st.leader,
                "yes" if st.authority else "no",
                ", ".join(st.peers),
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ledger commands to the root application."""
    app.add_typer(bench_app, name="bench")
    app.add_typer(network_app, name="network")

    @app.command()
    def init(
        home: NewHomeOption = DEFAULT_HOME,
        genesis: Annotated[
            Path | None,
            typer.Option(parser=in_file, help="Genesis file (TOML or YAML); default: a devnet."),
        ] = None,
        passphrase: Annotated[
            str | None, typer.Option(help="Seal generated key files with this passphrase.")
        ] = None,
    ) -> None:
        """Create a node home: genesis, key files, and the genesis block."""
        from glassledger.node.genesis import load_genesis

        try:
            spec = load_genesis(genesis) if genesis else None
            created = init_home(home, spec, passphrase)
            chain = created.open_chain()
        except GlassledgerError as exc:
            refuse(exc)
        console.print(
            f"initialised [bold]{created.path}[/bold]: chain {chain.chain_id!r}, "
            f"genesis {chain.head.hash.hex()[:16]}, "
            f"{len(chain.authorities(1))} authorities"
        )
        chain.store.close()

    @app.command()
    def node(
        home: Annotated[
            Path | None,
            typer.Option(
                "--home",
                envvar=HOME_ENV,
                parser=node_home,
                help="Node home directory (default ./.glassledger; not with --config).",
            ),
        ] = None,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                parser=in_file,
                help="Run one networked node from this configuration (docs/network.md) "
                "until SIGTERM or SIGINT, instead of the embedded network.",
            ),
        ] = None,
        blocks: Annotated[int | None, typer.Option(help="Stop after this many blocks.")] = None,
        until_empty: Annotated[
            bool, typer.Option(help="Stop once the inbox and mempool are empty.")
        ] = False,
        seconds: Annotated[float | None, typer.Option(help="Stop after this long.")] = None,
    ) -> None:
        """Run the embedded network (every authority key of the home in one process),
        draining the inbox into blocks (one node per home; SIGTERM or Ctrl-C stops it
        after the step in progress, and nothing queued is lost); or, with ``--config``, one
        node of a network."""
        if config is not None:
            from glassledger.node.config import load_config
            from glassledger.node.process import run_node

            try:
                run_node(load_config(config))
            except GlassledgerError as exc:
                refuse(exc)
            return

        from glassledger.node.runner import run_embedded

        h = Home(home_or_default(home))
        try:
            with console.status("running the embedded network") as status:
                report = run_embedded(
                    h,
                    blocks=blocks,
                    until_empty=until_empty,
                    seconds=seconds,
                    on_status=status.update,
                    on_refused=lambda line: console.print(f"[yellow]refused:[/yellow] {line}"),
                )
        except GlassledgerError as exc:
            refuse(exc)
        for line in report.quarantined:
            console.print(f"[yellow]{line}[/yellow]")
        stopped = f", stopped by {report.stopped_by}" if report.stopped_by else ""
        console.print(
            f"height {report.height} ({report.height - report.start_height} new blocks, "
            f"{report.committed} transactions{stopped})"
        )

    @app.command()
    def tx(
        contract: str,
        method: str,
        sender: Annotated[
            str, typer.Option(parser=participant, help="Participant id whose key signs.")
        ],
        args: Annotated[str, typer.Option(help='JSON object, e.g. {"symbol": "USD"}.')] = "{}",
        home: Annotated[
            Path,
            typer.Option(
                "--home",
                envvar=HOME_ENV,
                parser=key_home,
                help="Node home (with --node: any folder holding keys/SENDER.json).",
            ),
        ] = DEFAULT_HOME,
        node_address: Annotated[
            str | None,
            typer.Option(
                "--node",
                parser=address,
                help="Submit to this node (host:port) over the client protocol, or to an HTTP "
                "API (http://host:port, signed with the sender's key), and wait for the "
                "receipt, instead of queueing in the home's inbox.",
            ),
        ] = None,
        wait: Annotated[
            bool,
            typer.Option(
                "--wait/--no-wait",
                help="Wait for the receipt while a node runs on the home (default), or only "
                "queue the transaction.",
            ),
        ] = True,
        timeout: Annotated[float, typer.Option(help="Seconds to wait for the receipt.")] = 60.0,
    ) -> None:
        """Sign a transaction, queue it for the node (or submit it to a networked node with
        ``--node``) and wait for its receipt: the block height and status, with the typed
        reason when it was rejected."""
        from glassledger.node.submit import parse_args, queue_transaction, wait_for_receipt

        h = Home(home)
        if node_address is not None and node_address.startswith(("http://", "https://")):
            _submit_through_api(h, node_address, sender, contract, method, args, timeout)
            return
        if node_address is not None:
            from glassledger.node.client import submit_and_wait

            try:
                keys = h.load_keys(sender)
                receipt = submit_and_wait(
                    h, node_address, keys, contract, method, parse_args(args), timeout
                )
            except GlassledgerError as exc:
                refuse(exc)
            if receipt.height < 0 and receipt.reason == "pending":
                console.print(f"[yellow]pending[/yellow] {receipt.tx_hash.hex()}: no receipt yet")
                raise typer.Exit(2)
            if receipt.ok:
                console.print(
                    f"[green]ok[/green] {receipt.tx_hash.hex()} in block {receipt.height}"
                )
                return
            where = f"in block {receipt.height}" if receipt.height >= 0 else "before any block"
            console.print(
                f"[red]rejected[/red] {receipt.tx_hash.hex()} {where}: "
                f"{receipt.reason}: {receipt.message}"
            )
            raise typer.Exit(1)
        try:
            queued = queue_transaction(h, contract, method, sender, args)
        except GlassledgerError as exc:
            refuse(exc)
        console.print(f"queued {queued.hash.hex()} (nonce {queued.nonce})", highlight=False)
        if not wait:
            return
        try:
            receipt = wait_for_receipt(h, queued.hash, timeout)
        except GlassledgerError as exc:
            refuse(exc)
        if receipt is None:
            console.print(
                "no node is running on this home: the transaction stays queued until one runs "
                "(glassledger node)",
                highlight=False,
            )
            return
        console.print(receipt.describe(), highlight=False)
        if not receipt.ok:
            raise typer.Exit(1)

    @app.command("report-fork")
    def report_fork(
        first: Annotated[
            Path, typer.Argument(parser=in_file, help="`glassledger block N` JSON of one block.")
        ],
        second: Annotated[
            Path, typer.Argument(parser=in_file, help="The same for the conflicting block.")
        ],
        sender: Annotated[
            str, typer.Option(parser=participant, help="Participant id whose key signs.")
        ],
        home: HomeOption = DEFAULT_HOME,
        wait: Annotated[bool, typer.Option("--wait/--no-wait")] = True,
    ) -> None:
        """Submit two quorum-sealed blocks at one height to governance: every authority that
        sealed both is convicted of equivocation (docs/governance.md)."""
        from glassledger.ledger import codec
        from glassledger.ledger.authorities import authority_keys_at
        from glassledger.ledger.consensus.forks import conflict, double_signers
        from glassledger.node.submit import queue_call, wait_for_receipt

        h = Home(home)
        try:
            a, b = load_checkpoints([first, second])
            chain = h.open_chain()
            height = min(a.header.height, chain.height + 1)
            authorities = authority_keys_at(chain.store.state_at(height - 1), height)
            chain.store.close()
            evidence = conflict(a, authorities, b, authorities)
            signers, problem = double_signers(evidence)
            if problem is not None:
                raise ConfigError(f"not evidence of double-signing: {problem}")
            queued = queue_call(
                h,
                h.load_keys(sender),
                "governance",
                "report_conflicting_certificates",
                {"evidence": codec.encode(evidence)},
            )
        except GlassledgerError as exc:
            refuse(exc)
        console.print(
            f"queued {queued.hash.hex()}: {len(signers)} key(s) sealed both blocks at height "
            f"{a.header.height}",
            highlight=False,
        )
        if wait and (receipt := wait_for_receipt(h, queued.hash)) is not None:
            console.print(receipt.describe(), highlight=False)

    @app.command("catch-up")
    def catch_up(
        source: Annotated[
            Path,
            typer.Argument(
                parser=in_file, help="Another copy of the chain (a peer's chain.sqlite)."
            ),
        ],
        home: HomeOption = DEFAULT_HOME,
    ) -> None:
        """Commit the blocks this home's store lacks from another copy of the chain, each only
        if its certificate verifies and re-execution reproduces its roots (after restoring a
        damaged store: docs/ledger-storage.md)."""
        from glassledger.node.runner import catch_up_from_store

        try:
            head = catch_up_from_store(Home(home), source)
        except GlassledgerError as exc:
            refuse(exc)
        console.print(f"caught up to height {head}")

    @app.command()
    def receipt(
        tx_hash: Annotated[str, typer.Argument(help="Transaction hash (hex), as `tx` printed.")],
        home: HomeOption = DEFAULT_HOME,
    ) -> None:
        """How a queued transaction ended: its block and status, or why it was refused."""
        from glassledger.node.submit import find_receipt

        try:
            found = find_receipt(Home(home), bytes.fromhex(tx_hash))
        except ValueError:
            refuse(ValueError(f"{tx_hash[:80]!r} is not a hex transaction hash"))
        except GlassledgerError as exc:
            refuse(exc)
        if found is None:
            console.print("no receipt yet: still queued, or unknown to this home")
            raise typer.Exit(1)
        console.print(found.describe(), highlight=False)

    @app.command()
    def chain(home: HomeOption = DEFAULT_HOME) -> None:
        """Summary of the chain: height, head, authorities."""
        try:
            c = Home(home).open_chain()
        except GlassledgerError as exc:
            refuse(exc)
        table = Table(title=f"chain {c.chain_id}")
        table.add_column("field")
        table.add_column("value")
        table.add_row("height", str(c.height))
        table.add_row("head hash", c.head.hash.hex())
        table.add_row("state root", c.head.state_root.hex())
        table.add_row("head time (ms)", str(c.head.timestamp_ms))
        from glassledger.ledger.authorities import authorities_at

        members = authorities_at(c.state, c.height + 1)
        table.add_row("authorities", ", ".join(pid for pid, _ in members))
        console.print(table)

    @app.command()
    def block(height: int, home: HomeOption = DEFAULT_HOME) -> None:
        """A block: header, transactions, receipts and certificate, as JSON."""
        try:
            store = Home(home).open_chain().store
            data = {
                "header": to_jsonable(store.get_block(height).header),
                "hash": store.get_block(height).hash.hex(),
                "transactions": to_jsonable(store.get_block(height).txs),
                "receipts": to_jsonable(store.get_receipts(height)),
                "certificate": to_jsonable(store.get_certificate(height)),
            }
        except GlassledgerError as exc:
            refuse(exc)
        console.print_json(json.dumps(data))

    @app.command()
    def state(
        key: Annotated[str, typer.Argument(help="Full state key, e.g. token/b/USD/client-0")],
        height: Annotated[int | None, typer.Option(help="Block height; default head.")] = None,
        home: HomeOption = DEFAULT_HOME,
    ) -> None:
        """The value of a state key at a height."""
        try:
            c = Home(home).open_chain()
            data = (
                c.state.data if height is None or height == c.height else c.store.state_at(height)
            )
        except GlassledgerError as exc:
            refuse(exc)
        raw = data.get(key.encode())
        value = None if raw is None else msgspec.msgpack.decode(raw)
        console.print_json(json.dumps({"key": key, "value": to_jsonable(value)}))

    @app.command()
    def proof(
        key: str,
        height: Annotated[int | None, typer.Option(help="Block height; default head.")] = None,
        home: HomeOption = DEFAULT_HOME,
        checkpoint: CheckpointOption = None,
    ) -> None:
        """An inclusion (or absence) proof of a key at a height, with the block's header and
        certificate, checked as a light client would: quorum of seals, then the proof against
        the header's state root. Refused when the chain conflicts with a given checkpoint."""
        from glassledger.ledger.authorities import authority_keys_at
        from glassledger.ledger.codec import decode
        from glassledger.ledger.verify import bundle, check_bundle, check_checkpoints

        try:
            c = Home(home).open_chain()
            for note in check_checkpoints(c.store, load_checkpoints(checkpoint)):
                console.print(f"[yellow]{note}[/yellow]")
            h = c.height if height is None else height
            proven = bundle(c.store, key.encode(), h)
            if h == 0:  # genesis is trusted by configuration: no certificate to check
                verified = proven.proof.verify(proven.header.state_root)
            else:
                check_bundle(proven, authority_keys_at(c.store.state_at(h - 1), h))
                verified = True
        except GlassledgerError as exc:
            refuse(exc)
        out = to_jsonable(proven.proof)
        out["value"] = (
            None if proven.proof.value is None else to_jsonable(decode(proven.proof.value, Any))
        )
        out["value_hex"] = None if proven.proof.value is None else proven.proof.value.hex()
        out["height"] = h
        out["state_root"] = proven.header.state_root.hex()
        out["certificate_seals"] = len(proven.certificate.seals)
        out["verified"] = verified
        console.print_json(json.dumps(out))

    @app.command()
    def export(
        dest: Annotated[
            Path, typer.Argument(parser=out_file, help="New SQLite file for the copy.")
        ],
        home: HomeOption = DEFAULT_HOME,
    ) -> None:
        """Copy the chain into a private database, checking every block as a bookkeeping
        (read-only) node does."""
        if dest.exists():
            refuse(FileExistsError(f"{dest} exists; export writes a new file"))
        _export_or_follow(home, dest, None)

    @app.command()
    def follow(
        dest: Annotated[
            Path, typer.Argument(parser=out_file, help="The bookkeeper's own SQLite database.")
        ],
        home: HomeOption = DEFAULT_HOME,
        seconds: Annotated[float, typer.Option(help="Keep following this long.")] = 0.0,
    ) -> None:
        """Run a bookkeeping node: follow the home's chain into DEST, re-executing and
        checking every block (resumes where DEST stopped)."""
        _export_or_follow(home, dest, seconds)

    @app.command()
    def verify(home: HomeOption = DEFAULT_HOME, checkpoint: CheckpointOption = None) -> None:
        """Replay the chain from genesis and check every signature and root; the genesis
        block must be the one the home's genesis file builds, and the chain must hold the
        block of every checkpoint given (``--checkpoint``, the JSON of ``glassledger block``)."""
        from glassledger.contracts.registry import standard_registry
        from glassledger.ledger.sqlite_store import SQLiteStore
        from glassledger.ledger.verify import check_checkpoints, verify_chain
        from glassledger.node.genesis import build_genesis

        h = Home(home)
        registry = standard_registry()
        try:
            genesis_hash = build_genesis(h.load_genesis(), registry)[0].hash
            store = SQLiteStore.open(h.store)
            for note in check_checkpoints(store, load_checkpoints(checkpoint)):
                console.print(f"[yellow]{note}[/yellow]")
            with progress() as bar:
                task = bar.add_task("verifying blocks", total=store.head_height() + 1)
                verify_chain(
                    store,
                    registry,
                    progress=lambda height: bar.update(task, completed=height + 1),
                    genesis_hash=genesis_hash,
                )
        except GlassledgerError as exc:
            refuse(exc)
        console.print(f"[green]verified[/green] {store.head_height() + 1} blocks")


def load_checkpoints(paths: list[Path] | None) -> list:
    """Checkpoints from ``glassledger block N`` JSON files (header and certificate)."""
    from glassledger.ledger.consensus.forks import checkpoint_from_json

    out = []
    for path in paths or []:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"checkpoint {path}: {exc}") from exc
        out.append(checkpoint_from_json(data, str(path)))
    return out


def _export_or_follow(home: Path, dest: Path, follow_seconds: float | None) -> None:
    from glassledger.ledger.sqlite_store import SQLiteStore
    from glassledger.node.bookkeeper import Bookkeeper

    try:
        source = SQLiteStore.open(Home(home).store, readonly=True)
        keeper = Bookkeeper.start(source, dest)
        with progress() as bar:
            task = bar.add_task(
                "checking blocks",
                total=source.head_height() + 1,
                completed=keeper.chain.height + 1,
            )
            keeper.sync(progress=lambda h: bar.update(task, completed=h + 1))
        if follow_seconds:
            import threading

            stop = threading.Event()
            timer = threading.Timer(follow_seconds, stop.set)
            timer.start()
            keeper.follow(stop)
    except GlassledgerError as exc:
        refuse(exc)
    console.print(f"{dest}: {keeper.chain.height + 1} blocks, every signature and root checked")
    keeper.close()


def _submit_through_api(
    home: Home, url: str, sender: str, contract: str, method: str, args: str, timeout: float
) -> None:
    """``tx --node http://...``: sign here, submit through the HTTP API (glassledger.client)."""
    from glassledger.client import Client
    from glassledger.node.submit import parse_args

    try:
        client = Client(url, home.load_keys(sender), sender)
        result = client.submit(contract, method, parse_args(args), wait_s=min(timeout, 30.0))
    except GlassledgerError as exc:
        refuse(exc)
    if result["status"] == "pending":
        console.print(f"[yellow]pending[/yellow] {result['hash']}: no receipt yet")
        raise typer.Exit(2)
    if result["ok"]:
        console.print(f"[green]ok[/green] {result['hash']} in block {result['height']}")
        return
    console.print(
        f"[red]rejected[/red] {result['hash']} in block {result['height']}: "
        f"{result['reason']}: {result['message']}"
    )
    raise typer.Exit(1)
