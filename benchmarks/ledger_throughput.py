"""Signed token transfers committed per second by the embedded network of 4 authorities on
SQLite (synchronous=FULL), every signature verified; the machine's raw Ed25519 verification
rate on all cores measured in the same run; p99 submit-to-finality at 5,000 transfers/s offered.

    python benchmarks/ledger_throughput.py [--transfers 100000] [--rate 5000] [--seconds 10]
"""

from __future__ import annotations

import argparse

from glassledger.node.bench import format_result, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=5_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    result = run(args.transfers, args.clients, args.rate, args.seconds)
    print(format_result(result))


if __name__ == "__main__":
    main()
