"""A real OCI registry for tests: Debian's `docker-registry` (the CNCF distribution registry) on
127.0.0.1, a free port and a temp storage dir. Installed with apt-get when missing (we run as root
here and in CI), started per test session (`with Registry(dir) as registry:`), stopped afterwards.
Every wait is bounded. `repositories`, `manifest` and `blob` read it over plain HTTP, as any OCI
client would."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

BINARY = "docker-registry"
PACKAGE = "docker-registry"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def binary() -> str:
    """The registry binary, installing Debian's package if it is missing."""
    found = shutil.which(BINARY) or shutil.which(BINARY, path="/usr/bin:/usr/sbin")
    if found:
        return found
    env = {
        **os.environ,
        "DEBIAN_FRONTEND": "noninteractive",
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    }
    # Test processes that start a registry at once (tests/oci's files, tests/e2e) each install it on a
    # fresh machine: wait for the other's dpkg lock instead of failing.
    apt = ["/usr/bin/apt-get", "-qq", "-o", "Dpkg::Use-Pty=0", "-o", "DPkg::Lock::Timeout=300"]
    install = subprocess.run(
        [*apt, "install", "-y", PACKAGE], env=env, capture_output=True, text=True, timeout=900
    )
    if install.returncode != 0:  # an old package list: refresh once
        subprocess.run([*apt, "update"], env=env, capture_output=True, timeout=600, check=True)
        install = subprocess.run(
            [*apt, "install", "-y", PACKAGE], env=env, capture_output=True, text=True, timeout=900
        )
    found = shutil.which(BINARY, path="/usr/bin:/usr/sbin")
    if not found:
        raise RuntimeError(f"apt-get install {PACKAGE} failed: {install.stderr[-2000:]}")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"


class Registry:
    """`start()` / `stop()`, or `with`; `.host` is `127.0.0.1:PORT`, `.storage` the filesystem
    driver's root."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.storage = workdir / "storage"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        exe = binary()
        self.storage.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.workdir / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.storage}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: '{self.host}'}}\n"
        )
        log = open(self.workdir / "registry.log", "ab")
        self.proc = subprocess.Popen(
            [exe, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"registry did not come up on {self.host} within {START_TIMEOUT}s:"
            f" {(self.workdir / 'registry.log').read_text()[-2000:]}"
        )

    def __enter__(self) -> Registry:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
        self.proc = None

    def blob_file(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob (to tamper with it)."""
        algo, hexdigest = digest.split(":", 1)
        return self.storage / f"docker/registry/v2/blobs/{algo}/{hexdigest[:2]}/{hexdigest}/data"

    def _get(self, path: str, accept: str = "*/*") -> bytes | None:
        """The body of `GET /v2/<path>`, None on 404."""
        req = urllib.request.Request(f"http://{self.host}/v2/{path}", headers={"Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                body: bytes = r.read()
                return body
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def repositories(self) -> list[str]:
        """Every repository something was pushed to (a blob is enough)."""
        body = self._get("_catalog")
        assert body is not None
        return list(json.loads(body)["repositories"] or [])

    def manifest(self, repository: str, tag: str) -> dict[str, Any] | None:
        """The OCI manifest tagged `tag`, None if there is no such tag."""
        body = self._get(f"{repository}/manifests/{tag}", MANIFEST_MEDIA_TYPE)
        return None if body is None else dict(json.loads(body))

    def blob(self, repository: str, digest: str) -> bytes:
        body = self._get(f"{repository}/blobs/{digest}")
        assert body is not None, f"no blob {digest} in {repository}"
        return body
