"""Every code block of the docs marked `<!-- from PATH -->` is an excerpt of PATH: its lines, in order, contiguous
except where a `# …` or `// …` line marks left-out lines. So the tutorial shows code the examples run and test.
"""

from __future__ import annotations

import os
import re
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
