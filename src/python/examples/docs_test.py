"""Every code block of the docs marked `<!-- from PATH -->` is an excerpt of PATH: its lines, in order, contiguous
except where a `# …` or `// …` line marks left-out lines. So the tutorial shows code the examples run and test.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("WASMPLUG_BUILDROOT", Path(__file__).resolve().parents[3]))
DOCS = [ROOT / "README.md"]
SNIPPET = re.compile(r"<!-- from (\S+) -->\n```[a-z]*\n(.*?)\n```", re.S)
ELISION = re.compile(r"^\s*(#|//) …$")


def snippets() -> list[tuple[str, str, str]]:
    return [
        (doc.name, path, code) for doc in DOCS for path, code in SNIPPET.findall(doc.read_text())
    ]


def chunks(code: str) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for line in code.split("\n"):
        if ELISION.match(line):
            out.append([])
        else:
            out[-1].append(line)
    return [c for c in out if c]


def find(lines: list[str], chunk: list[str], start: int) -> int:
    """Index just past the first occurrence of `chunk` in `lines` at or after `start`, or -1."""
    for i in range(start, len(lines) - len(chunk) + 1):
        if lines[i : i + len(chunk)] == chunk:
            return i + len(chunk)
    return -1


def test_docs_have_snippets() -> None:
    assert len(snippets()) >= 20


@pytest.mark.parametrize(
    ("doc", "path", "code"), snippets(), ids=lambda v: v if "\n" not in v else ""
)
def test_snippet_is_an_excerpt_of_its_file(doc: str, path: str, code: str) -> None:
    lines = (ROOT / path).read_text().split("\n")
    pos = 0
    for chunk in chunks(code):
        pos = find(lines, chunk, pos)
        assert pos >= 0, (
            f"{doc}: this part of the snippet from {path} is not in the file (in order):\n"
            + "\n".join(chunk)
        )


# -- `wasmplug` sessions: `<!-- wasmplug session -->` blocks are run on this repo's plugins -----------

SESSION = re.compile(r"<!-- wasmplug session -->\n```console\n(.*?)\n```", re.S)
# A README path of a packaged plugin and the resource the tests get it as.
PACKAGED = re.compile(r"dist/src\.go\.plugins\.(\w+)/\1\.wasm")
# `wasmplug call`'s notice of a cold compile (stderr, only when the compile takes 0.3 s or more): the
# README shows a warm compile cache, which a test run on a loaded machine may not have.
COLD_COMPILE = re.compile(r"wasmplug call: (compiling .*|done in [\d.]+ s)")


def sessions() -> list[list[tuple[str, list[str]]]]:
    """Each block: its `$ wasmplug ...` commands with their expected output lines."""
    out = []
    for doc in DOCS:
        for block in SESSION.findall(doc.read_text()):
            steps: list[tuple[str, list[str]]] = []
            for line in block.split("\n"):
                if line.startswith("$ "):
                    steps.append((line[2:], []))
                else:
                    steps[-1][1].append(line)
            out.append(steps)
    return out


def resource_path(match: re.Match[str]) -> str:
    name = match.group(1)
    return str(importlib.resources.files(f"plugins.{name}") / f"{name}.wasm")


def matches(expected: str, actual: str) -> bool:
    """`…` in the README stands for any text (sizes, digests)."""
    pattern = ".*?".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, actual) is not None


def test_docs_have_wasmplug_sessions() -> None:
    commands = [cmd for steps in sessions() for cmd, _ in steps]
    assert any(c.startswith("wasmplug inspect") for c in commands)
    assert any(c.startswith("wasmplug call") for c in commands)


@pytest.mark.parametrize("steps", sessions())
def test_wasmplug_session(
    steps: list[tuple[str, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    from wasmplug_codegen.cli import main

    for command, expected in steps:
        if not command.startswith("wasmplug "):
            continue  # e.g. `./pants package`: the test gets the plugins as resources
        argv = [PACKAGED.sub(resource_path, a) for a in shlex.split(command)[1:]]
        main(argv)
        out, err = capsys.readouterr()
        paths = {
            resource_path(m): m.group(0) for a in shlex.split(command) for m in PACKAGED.finditer(a)
        }
        actual = out + err
        for resource, readme_path in paths.items():
            actual = actual.replace(resource, readme_path)
        lines = [ln for ln in actual.rstrip("\n").split("\n") if not COLD_COMPILE.fullmatch(ln)]
        assert len(lines) == len(expected) and all(
            map(matches, expected, lines)
        ), f"`{command}` printed:\n{actual}\nthe README says:\n" + "\n".join(expected)
