"""``protoc-gen-wasmplug``: run by protoc as ``--plugin=protoc-gen-wasmplug=...``."""

from __future__ import annotations

import sys


def main() -> None:
    from wasmplug_codegen.generator import main_bytes

    sys.stdout.buffer.write(main_bytes(sys.stdin.buffer.read()))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
