"""sha256 digests as users write them. Standard library only: `oci` (and the Pants publish tool that
runs it without the rest of the runtime) imports this."""

from __future__ import annotations


def parse_digest(digest: str) -> bytes:
    """`sha256:<64 hex>` or the bare hex, as 32 bytes; ValueError naming the bad value otherwise."""
    hexdigest = digest[len("sha256:") :] if digest.startswith("sha256:") else digest
    if len(hexdigest) != 64 or hexdigest.strip("0123456789abcdefABCDEF"):
        raise ValueError(
            f"sha256 must be 64 hex digits (optionally 'sha256:' first), got {digest!r}"
        )
    return bytes.fromhex(hexdigest)
