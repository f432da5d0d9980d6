"""Start a new Pants repo that uses wasmplug: one proto, one Go plugin, one Python host and its test.

Writes the repo's files (pants.toml, BUILD files, the ./pants launcher, src/, tests/, 3rdparty/)
into DIRECTORY and copies wasmplug's wheels from --wheels into DIRECTORY/3rdparty/wheels, where
pants.toml's [python-repos] finds them. It never overwrites a file. Then, in DIRECTORY:
`./pants generate-lockfiles`, and `./pants test ::` runs the host's test on the plugin.
"""

from __future__ import annotations

import argparse
import importlib.resources
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

WHEELS_DIR = "3rdparty/wheels"
# The runtime (a requirement of the repo's resolve) and the Pants backend ([GLOBAL].plugins).
REQUIRED_DISTS = ("wasmplug", "pants_backend_wasmplug")
# The generator and the `wasmplug` command: copied when present, the repo does not need them.
OPTIONAL_DISTS = ("wasmplug_codegen",)
VERSION_MARK = b"@WASMPLUG_VERSION@"
# Template names that would mean something in wasmplug's own repo (a BUILD file read by its Pants,
# a .gitignore applied by its git) and the names they get in the new repo.
RENAMES = {"_BUILD": "BUILD", "_gitignore": ".gitignore"}
EXECUTABLES = ("pants", "build-support/bootstrap.sh")


class InitError(Exception):
    pass


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        default=".",
        help="where to write the new repo (default: the current directory)",
    )
    parser.add_argument(
        "--wheels",
        required=True,
        metavar="DIR",
        help="a directory holding wasmplug's wheels (in wasmplug's repo, `./pants package ::` "
        "writes them to dist/)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        version, written = init(Path(args.directory), Path(args.wheels))
    except InitError as err:
        print(f"wasmplug init: {err}", file=sys.stderr)
        return 1
    print(f"wasmplug init: wrote {len(written)} files for wasmplug {version} into {args.directory}")
    print("next: ./pants generate-lockfiles && ./pants test ::")
    return 0


def init(repo: Path, wheels_dir: Path) -> Tuple[str, List[Path]]:
    """Write the template and the wheels into `repo`; return the version and the files written."""
    version, wheels = find_wheels(wheels_dir)
    files = {
        repo / path: content.replace(VERSION_MARK, version.encode()) for path, content in template()
    }
    copies = {repo / WHEELS_DIR / wheel.name: wheel for wheel in wheels}
    existing = sorted(str(p) for p in [*files, *copies] if p.exists() or p.is_symlink())
    if existing:
        raise InitError(
            f"{', '.join(existing[:5])}{' …' if len(existing) > 5 else ''} already exist(s); "
            "init writes a new repo and never overwrites a file"
        )
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for name in EXECUTABLES:
        (repo / name).chmod(0o755)
    for dest, wheel in copies.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(wheel, dest)
    return version, [*files, *copies]


def find_wheels(wheels_dir: Path) -> Tuple[str, List[Path]]:
    """The newest version of which `wheels_dir` has every required wheel, and its wheels."""
    if not wheels_dir.is_dir():
        raise InitError(f"--wheels {wheels_dir}: not a directory")
    by_version: Dict[str, Dict[str, Path]] = {}
    for wheel in sorted(wheels_dir.glob("*.whl")):
        dist, version = wheel.name.split("-")[:2]
        if dist in REQUIRED_DISTS + OPTIONAL_DISTS:
            by_version.setdefault(version, {})[dist] = wheel
    complete = [v for v, dists in by_version.items() if all(d in dists for d in REQUIRED_DISTS)]
    if not complete:
        found = ", ".join(sorted(w.name for dists in by_version.values() for w in dists.values()))
        raise InitError(
            f"--wheels {wheels_dir}: no version with all of "
            f"{', '.join(d + '-*.whl' for d in REQUIRED_DISTS)} (found: {found or 'none'}); "
            "`./pants package ::` in wasmplug's repo builds them into its dist/"
        )
    version = max(complete, key=lambda v: [int(n) for n in re.findall(r"\d+", v)])
    return version, list(by_version[version].values())


def template() -> Iterator[Tuple[str, bytes]]:
    """(path in the new repo, content) of every file of the template shipped in this package."""
    root = importlib.resources.files("wasmplug_codegen.cli") / "template"
    stack = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        for entry in directory.iterdir():
            if entry.is_dir():
                stack.append((entry, f"{prefix}{entry.name}/"))
            else:
                yield prefix + RENAMES.get(entry.name, entry.name), entry.read_bytes()
