"""The `wasmplug` command: one module per subcommand (`wasmplug_codegen.cli.<name>`).

Each subcommand module has a docstring (its help), `configure(parser)` adding its arguments and
`run(args) -> int`. To add one, write the module and name it in `SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

SUBCOMMANDS = ("init", "generate", "inspect", "call", "push", "pull")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wasmplug", description="WebAssembly plugins for Python hosts."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        summary = (module.__doc__ or "").strip().split("\n")[0]
        sub = commands.add_parser(name, help=summary, description=module.__doc__)
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        module.configure(sub)
        sub.set_defaults(run=module.run)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.run(args))
