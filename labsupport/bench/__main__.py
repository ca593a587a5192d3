"""``python -m labsupport.bench <name> [options]``: run one benchmark (``<name> --help``)."""

from __future__ import annotations

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


def usage() -> str:
    lines = ["usage: python -m labsupport.bench <name> [options]", "", "benchmarks:"]
    lines += [f"  {name:<16} {summary}" for name, (_, summary) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, *rest = argv
    if name not in COMMANDS:
        print(f"{name!r} is not a benchmark.\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return module.main(rest) or 0


if __name__ == "__main__":
    sys.exit(main())
