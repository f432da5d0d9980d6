"""Helpers for RuleRunner tests of this backend (imports `pants.testutil`; tests only).

RuleRunner ignores the repo's pants.toml, so a test that builds a PEX passes the machine's offline
settings itself: the `[pex-cli]` and `ca_certs_path` values from the repo's git-ignored `.pants.rc`
(written by build-support/bootstrap.sh; found through `WASMPLUG_BUILDROOT`, which pants.toml's
`[test].extra_env_vars` sets), plus `PIP_CONFIG_FILE=/dev/null`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import toml  # pants: no-infer-dep (a dependency of pantsbuild.pants)

ENV_INHERIT = {"PATH", "HOME", "PYENV_ROOT", "SSL_CERT_FILE"}


def buildroot() -> Path | None:
    root = os.environ.get("WASMPLUG_BUILDROOT")
    return Path(root) if root else None


def offline_args() -> list[str]:
    args = ['--subprocess-environment-env-vars=["PIP_CONFIG_FILE=/dev/null"]']
    root = buildroot()
    rc = root / ".pants.rc" if root else None
    if rc is None or not rc.is_file():
        return args
    cfg = toml.loads(rc.read_text())
    pex_cli = cfg.get("pex-cli", {})
    if "version" in pex_cli:
        args.append(f"--pex-cli-version={pex_cli['version']}")
    if "known_versions" in pex_cli:
        args.append(f"--pex-cli-known-versions={json.dumps(pex_cli['known_versions'])}")
    if "url_template" in pex_cli:
        args.append(f"--pex-cli-url-template={pex_cli['url_template']}")
    ca = cfg.get("GLOBAL", {}).get("ca_certs_path")
    if ca:
        args.append(f"--ca-certs-path={ca}")
    return args


def repo_lockfile(name: str) -> str | None:
    """Contents of `3rdparty/python/<name>` in the repo, if readable."""
    root = buildroot()
    path = root / "3rdparty" / "python" / name if root else None
    return path.read_text() if path and path.is_file() else None
