"""`python -m wasmplug_codegen.cli`: the same as the `wasmplug` console script."""

import sys

from wasmplug_codegen.cli import main

if __name__ == "__main__":
    sys.exit(main())
