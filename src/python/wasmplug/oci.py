"""Plugins as OCI artifacts: push a `.wasm` to a container registry, pull it back verified.

An artifact is one manifest (artifactType `ARTIFACT_TYPE`) with a small JSON config and one layer, the
module itself (media type `LAYER_MEDIA_TYPE`); its sha256 and size are annotations (`ANNOTATION_*`), as are
the services and versions when the plugin describes itself. Every byte pulled is checked against the
digest that names it: the manifest against the reference's `@sha256:` (if any), the module against the
manifest's layer descriptor.

The registry client is the `oras` library (authentication from the docker config, token auth), an
optional dependency: `pip install 'wasmplug[oci]'`. HTTP goes through its session with bounded timeouts;
registries on a loopback address are spoken to in plain HTTP unless told otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._digest import parse_digest
from .errors import DigestMismatchError, LoadError, WasmplugError

if TYPE_CHECKING:
    import oras.provider  # type: ignore[import-untyped, import-not-found, unused-ignore]
    import requests  # type: ignore[import-untyped, import-not-found, unused-ignore]  # pants: no-infer-dep

ARTIFACT_TYPE = "application/vnd.wasmplug.plugin.v1"
LAYER_MEDIA_TYPE = "application/vnd.wasmplug.plugin.v1+wasm"
CONFIG_MEDIA_TYPE = "application/vnd.wasmplug.plugin.config.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
ANNOTATION_TITLE = "org.opencontainers.image.title"
ANNOTATION_SHA256 = "dev.wasmplug.sha256"
ANNOTATION_SIZE = "dev.wasmplug.size"
ANNOTATION_SERVICES = "dev.wasmplug.services"  # JSON: {"greeter.Greeter": {"version": 1}, ...}

TIMEOUT = (10.0, 60.0)  # (connect, read) seconds: every request is bounded
_CHUNK = 1 << 20
# host[:port]/repo[/more]:tag or @sha256:hex
_REF = re.compile(
    r"^(?P<registry>[^/]+)/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)

Progress = Callable[[int, int], None]  # (bytes done, total)


class RegistryError(LoadError):
    """The registry is unreachable, refused a request, or has no such artifact. `.reference` names it.
    A LoadError because loading an `oci://` reference raises it."""

    def __init__(self, reference: str, message: str) -> None:
        super().__init__(f"{reference}: {message}")
        self.reference = reference


class OrasNotInstalledError(WasmplugError, ImportError):
    """OCI support needs the optional `oras` library."""


@dataclass(frozen=True)
class Reference:
    """`registry/repository:tag` or `registry/repository@sha256:...` (or both: the digest wins)."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, ref: str) -> Reference:
        text = ref[len("oci://") :] if ref.startswith("oci://") else ref
        m = _REF.match(text)
        host = m["registry"] if m is not None else ""
        if m is None or not ("." in host or ":" in host or host == "localhost"):
            raise ValueError(
                f"bad OCI reference {ref!r}: expected REGISTRY/REPOSITORY:TAG or"
                " REGISTRY/REPOSITORY@sha256:<64 hex> (e.g. 127.0.0.1:5000/plugins/greeter:v1)"
            )
        return cls(m["registry"], m["repository"], m["tag"], m["digest"])

    @property
    def version(self) -> str:
        """What the manifest is fetched by: the digest, else the tag, else `latest`."""
        return self.digest or self.tag or "latest"

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.registry, self.repository, None, digest)

    def __str__(self) -> str:
        s = f"{self.registry}/{self.repository}"
        if self.tag:
            s += f":{self.tag}"
        if self.digest:
            s += f"@{self.digest}"
        return s


@dataclass(frozen=True)
class Pushed:
    reference: Reference  # by digest
    wasm_digest: str
    size: int


@dataclass(frozen=True)
class Pulled:
    reference: Reference  # by digest
    wasm: bytes
    wasm_digest: str
    annotations: Mapping[str, str] = field(default_factory=dict)


def is_loopback(registry: str) -> bool:
    host = registry.rsplit(":", 1)[0] if not registry.endswith("]") else registry
    return host in ("localhost", "[::1]") or host.startswith("127.")


def _client(ref: Reference, plain_http: bool | None) -> oras.provider.Registry:
    try:
        import oras.provider  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError as exc:
        raise OrasNotInstalledError(
            f"pushing and pulling OCI artifacts ({ref}) needs the oras library:"
            " pip install 'wasmplug[oci]'"
        ) from exc
    if plain_http is None:
        plain_http = is_loopback(ref.registry)
    client = oras.provider.Registry(hostname=ref.registry, insecure=plain_http)
    client.auth.load_configs(client.get_container(f"{ref.registry}/{ref.repository}"))
    return client


def _url(client: oras.provider.Registry, ref: Reference, path: str) -> str:
    return f"{client.prefix}://{ref.registry}/v2/{ref.repository}/{path}"


def _request(
    client: oras.provider.Registry,
    ref: Reference,
    method: str,
    url: str,
    **kwargs: Any,
) -> requests.Response:
    """One request, authenticated as the registry asks (401), bounded by TIMEOUT; connection errors are
    RegistryError (oras' own do_request retries for minutes)."""
    import requests  # type: ignore[import-untyped, import-not-found, unused-ignore]  # pants: no-infer-dep

    headers = dict(kwargs.pop("headers", {}))
    if getattr(client.auth, "token", None):
        headers.update(client.auth.get_auth_header())
    try:
        r = client.session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        if r.status_code == 401 and "data" not in kwargs:
            headers, changed = client.auth.authenticate_request(r, headers)
            if changed:
                r = client.session.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
    except requests.exceptions.SSLError as exc:
        raise RegistryError(
            str(ref),
            f"TLS error talking to {ref.registry} ({exc}); a plain-HTTP registry needs --plain-http",
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise RegistryError(
            str(ref), f"cannot reach registry {ref.registry} ({client.prefix}): {exc}"
        ) from exc
    response: requests.Response = r
    return response


def _fail(ref: Reference, r: requests.Response, what: str) -> RegistryError:
    try:
        errors = [e.get("message", "") for e in r.json().get("errors", [])]
    except ValueError:
        errors = []
    detail = "; ".join(e for e in errors if e) or r.reason
    return RegistryError(str(ref), f"{what}: HTTP {r.status_code} from {ref.registry}: {detail}")


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class _Reader:
    """A file-like body for requests that reports progress as http.client reads it."""

    def __init__(self, data: bytes, progress: Progress | None) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._progress = progress

    def __len__(self) -> int:
        return len(self._data)

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n < 0 else min(self._pos + max(n, _CHUNK), len(self._data))
        chunk = self._data[self._pos : end].tobytes()
        self._pos = end
        if self._progress is not None and chunk:
            self._progress(end, len(self._data))
        return chunk


def _upload(
    client: oras.provider.Registry,
    ref: Reference,
    data: bytes,
    media: str,
    progress: Progress | None = None,
) -> dict[str, Any]:
    digest = _digest(data)
    descriptor: dict[str, Any] = {"mediaType": media, "digest": digest, "size": len(data)}
    head = _request(client, ref, "HEAD", _url(client, ref, f"blobs/{digest}"))
    if head.status_code == 200:
        if progress is not None:
            progress(len(data), len(data))
        return descriptor
    start = _request(client, ref, "POST", _url(client, ref, "blobs/uploads/"))
    if start.status_code not in (201, 202):
        raise _fail(ref, start, "starting a blob upload")
    location = start.headers.get("Location", "")
    if not location.startswith("http"):
        location = f"{client.prefix}://{ref.registry}{location}"
    sep = "&" if "?" in location else "?"
    put = _request(
        client,
        ref,
        "PUT",
        f"{location}{sep}digest={digest}",
        data=_Reader(data, progress),
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
    )
    if put.status_code not in (201, 204):
        raise _fail(ref, put, f"uploading blob {digest}")
    return descriptor


def push(
    wasm: bytes | str | os.PathLike[str],
    reference: str,
    *,
    plain_http: bool | None = None,
    annotations: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Pushed:
    """Push a plugin (bytes or a `.wasm` path) as `REGISTRY/REPO:TAG`; returns it by digest."""
    ref = Reference.parse(reference)
    if ref.digest:
        raise ValueError(f"push to a tag, not a digest: {reference!r}")
    title = "plugin.wasm"
    if not isinstance(wasm, bytes):
        title = os.path.basename(os.fspath(wasm))
        with open(wasm, "rb") as f:
            wasm = f.read()
    wasm_digest = _digest(wasm)
    notes = {ANNOTATION_SHA256: wasm_digest, ANNOTATION_SIZE: str(len(wasm))}
    notes.update(annotations or {})
    config = json.dumps({"sha256": wasm_digest, "size": len(wasm)}, sort_keys=True).encode()
    client = _client(ref, plain_http)
    layer = _upload(client, ref, wasm, LAYER_MEDIA_TYPE, progress)
    layer["annotations"] = {ANNOTATION_TITLE: title}
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": ARTIFACT_TYPE,
        "config": _upload(client, ref, config, CONFIG_MEDIA_TYPE),
        "layers": [layer],
        "annotations": notes,
    }
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    r = _request(
        client,
        ref,
        "PUT",
        _url(client, ref, f"manifests/{ref.version}"),
        data=body,
        headers={"Content-Type": MANIFEST_MEDIA_TYPE},
    )
    if r.status_code not in (200, 201):
        raise _fail(ref, r, "uploading the manifest")
    return Pushed(ref.with_digest(_digest(body)), wasm_digest, len(wasm))


def resolve(
    reference: str | Reference, *, plain_http: bool | None = None
) -> tuple[Reference, dict[str, Any]]:
    """The artifact's manifest, verified against the reference's digest; (reference by digest, manifest)."""
    ref = reference if isinstance(reference, Reference) else Reference.parse(reference)
    client = _client(ref, plain_http)
    return _manifest(client, ref)


def _manifest(client: oras.provider.Registry, ref: Reference) -> tuple[Reference, dict[str, Any]]:
    r = _request(
        client,
        ref,
        "GET",
        _url(client, ref, f"manifests/{ref.version}"),
        headers={"Accept": MANIFEST_MEDIA_TYPE},
    )
    if r.status_code == 404:
        what = f"digest {ref.digest}" if ref.digest else f"tag {ref.version!r}"
        raise RegistryError(str(ref), f"no {what} in repository {ref.repository} of {ref.registry}")
    if r.status_code != 200:
        raise _fail(ref, r, "fetching the manifest")
    actual = _digest(r.content)
    if ref.digest and actual != ref.digest:
        raise DigestMismatchError(f"manifest of {ref}", ref.digest, actual)
    try:
        manifest = json.loads(r.content)
        (layer,) = [x for x in manifest["layers"] if x["mediaType"] == LAYER_MEDIA_TYPE]
        parse_digest(layer["digest"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryError(
            str(ref),
            f"not a wasmplug plugin artifact (want one layer of media type {LAYER_MEDIA_TYPE}): {exc}",
        ) from exc
    return ref.with_digest(actual), manifest


def _layer(manifest: Mapping[str, Any]) -> dict[str, Any]:
    (layer,) = [x for x in manifest["layers"] if x["mediaType"] == LAYER_MEDIA_TYPE]
    return dict(layer)


def pull(
    reference: str | Reference,
    *,
    plain_http: bool | None = None,
    progress: Progress | None = None,
) -> Pulled:
    """Fetch a plugin; its bytes are checked against the manifest's digest (DigestMismatchError)."""
    ref = reference if isinstance(reference, Reference) else Reference.parse(reference)
    client = _client(ref, plain_http)
    by_digest, manifest = _manifest(client, ref)
    layer = _layer(manifest)
    wasm = _download(client, by_digest, layer, progress)
    return Pulled(by_digest, wasm, layer["digest"], dict(manifest.get("annotations") or {}))


def _download(
    client: oras.provider.Registry,
    ref: Reference,
    layer: Mapping[str, Any],
    progress: Progress | None,
) -> bytes:
    digest, size = str(layer["digest"]), int(layer["size"])
    r = _request(client, ref, "GET", _url(client, ref, f"blobs/{digest}"), stream=True)
    with r:
        if r.status_code != 200:
            raise _fail(ref, r, f"fetching blob {digest}")
        hasher = hashlib.sha256()
        parts = []
        done = 0
        for chunk in r.iter_content(_CHUNK):
            hasher.update(chunk)
            parts.append(chunk)
            done += len(chunk)
            if done > size:
                break
            if progress is not None:
                progress(done, size)
    actual = "sha256:" + hasher.hexdigest()
    if actual != digest or done != size:
        raise DigestMismatchError(f"{ref} (layer {digest})", digest, actual)
    return b"".join(parts)


def stderr_progress(label: str, minimum: int = 1 << 20) -> Progress:
    """A Progress that reports on stderr for modules of `minimum` bytes or more: one updated line on a
    terminal, else a line at each quarter."""
    import sys

    tty = sys.stderr.isatty()
    shown = [-1]

    def report(done: int, total: int) -> None:
        if total < minimum:
            return
        step = done * (100 if tty else 4) // total
        if step == shown[0]:
            return
        shown[0] = step
        text = f"{label}: {done / 2**20:.1f}/{total / 2**20:.1f} MiB ({done * 100 // total}%)"
        if tty:
            sys.stderr.write("\r" + text + ("\n" if done >= total else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    return report


def write_atomic(path: str, data: bytes) -> None:
    """Write `data` to `path` through a temp file beside it (no half-written `.wasm` on failure)."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ------------------------------------------------------------------ loading (Plugin.load("oci://..."))
def _ref_record(cache_dir: str, digest: str) -> str:
    return os.path.join(cache_dir, "oci", digest.replace(":", "-") + ".ref")


def _blob_path(cache_dir: str, digest: str) -> str:
    return os.path.join(cache_dir, "oci", digest.replace(":", "-") + ".wasm")


def fetch_to_cache(
    reference: str,
    cache_dir: str | None,
    *,
    plain_http: bool | None = None,
    max_module_bytes: int | None = None,
) -> tuple[str | None, bytes | None, bytes]:
    """For `Plugin.load`: (path, None, sha256) of the module kept in `cache_dir/oci/`, or (None, bytes,
    sha256) without a cache. A reference by digest that was pulled before is not pulled again: the cache
    maps the manifest digest to the module's digest, and the module's bytes sit under that digest.
    A module whose layer is over `max_module_bytes` is a LoadError before it is downloaded (the
    download stops at the layer's size, so the descriptor bounds what is read).
    """
    ref = Reference.parse(reference)
    if cache_dir is not None and ref.digest:
        try:
            with open(_ref_record(cache_dir, ref.digest), encoding="ascii") as f:
                wasm_digest = f.read().strip()
            path = _blob_path(cache_dir, wasm_digest)
            if os.path.isfile(path):
                return path, None, parse_digest(wasm_digest)
        except (OSError, ValueError):
            pass
    client = _client(ref, plain_http)
    by_digest, manifest = _manifest(client, ref)
    layer = _layer(manifest)
    wasm_digest = str(layer["digest"])
    size = int(layer["size"])
    if max_module_bytes is not None and size > max_module_bytes:
        raise LoadError(
            f"cannot load plugin {reference}: its module ({wasm_digest}) is {size} bytes, more than"
            f" PluginConfig.max_module_bytes={max_module_bytes}"
        )
    if cache_dir is None:
        return None, _download(client, by_digest, layer, None), parse_digest(wasm_digest)
    path = _blob_path(cache_dir, wasm_digest)
    if not os.path.isfile(path):
        wasm = _download(client, by_digest, layer, None)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        write_atomic(path, wasm)
    assert by_digest.digest is not None
    write_atomic(_ref_record(cache_dir, by_digest.digest), wasm_digest.encode())
    return path, None, parse_digest(wasm_digest)


# ------------------------------------------------------------------ `python -m wasmplug.oci`
def main(argv: list[str] | None = None) -> int:
    """`python -m wasmplug.oci push X.wasm REF... [--dry-run] [--plain-http]`: what `./pants publish`
    runs for a `wasm_plugin` (in a tool PEX holding oras and this module; `wasmplug push` is the
    command for people). Prints one `pushed REF@sha256:...` line per reference."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m wasmplug.oci")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("push")
    cmd.add_argument("wasm")
    cmd.add_argument("references", nargs="+")
    cmd.add_argument("--plain-http", action="store_true", default=None)
    cmd.add_argument("--dry-run", action="store_true")
    cmd.add_argument("--annotation", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    notes = dict(a.partition("=")[::2] for a in args.annotation)
    for reference in args.references:
        try:
            if args.dry_run:
                Reference.parse(reference)
                size = os.path.getsize(args.wasm)
                print(f"would push {args.wasm} ({size} bytes) to {reference} (dry run)")
                continue
            pushed = push(
                args.wasm,
                reference,
                plain_http=args.plain_http,
                annotations=notes,
                progress=stderr_progress(f"pushing {args.wasm}"),
            )
        except (WasmplugError, OSError, ValueError) as exc:
            print(f"wasmplug publish: {exc}", file=sys.stderr)
            return 1
        print(f"pushed {args.wasm} to {reference}: {pushed.reference} ({pushed.wasm_digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
