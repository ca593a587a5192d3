"""``python -m labsupport.bench <name> [options]``: run one benchmark (``<name> --help``)."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with a main(argv) function, one line for the help)
COMMANDS = {
    "accounts": ("labsupport.bench.accounts",
                 "time until a new account or key works in Azurite (no restart)"),
    "fault-injection": ("labsupport.bench.fault_injection",
                        "kill -9 idempotent consumers mid-batch; count lost and doubled"),
    "startup": ("labsupport.bench.startup",
                "local cloud cold start to the first queue call; --nbval times the lab"),
    "throughput": ("labsupport.bench.throughput",
                   "messages/s per way of calling the SDK, against a raw-HTTP floor"),
}


def build_parser() -> argparse.ArgumentParser:
    """The dispatcher: a benchmark's name, then its own options (each has its parser, loaded
    only when it runs, so listing the benchmarks imports none of them)."""
    listing = "\n".join(f"  {name:<16} {summary}" for name, (_, summary) in COMMANDS.items())
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench",
                                     description="Run one benchmark.",
                                     epilog=f"benchmarks:\n{listing}",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=COMMANDS, metavar="<name>",
                        help="the benchmark to run (see below)")
    parser.add_argument("options", nargs=argparse.REMAINDER,
                        help="the benchmark's own options (<name> --help lists them)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.name][0])
    return module.main(args.options) or 0


if __name__ == "__main__":
    sys.exit(main())
