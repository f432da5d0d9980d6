"""Go doc comments in gofmt's canonical form.

gofmt reformats the doc comment of every top-level declaration (go/doc/comment's parser and
printer): code blocks get one tab of indent, lists become "  - item" with 4-space continuations,
old-style headings become "# Heading", link definitions move to the end. Proto comments are
rarely written that way, so the generator puts them in that form itself. This is a port of the
block structure of Go's go/doc/comment (parse.go: parseSpans, unindent, list, isOldHeading;
print.go: Printer.Comment); inline text is printed back verbatim there, so it is kept verbatim
here. gofmt_test.py checks the result against the real gofmt.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

_SCHEMES = ("file", "ftp", "gopher", "http", "https", "mailto", "nntp")


@dataclass
class _Para:
    lines: List[str]


@dataclass
class _Heading:
    text: str


@dataclass
class _Code:
    lines: List[str]


@dataclass
class _Item:
    number: str  # "" in a bullet list
    paras: List[List[str]] = field(default_factory=list)


@dataclass
class _List:
    items: List[_Item]
    blank_before: bool
    blank_between: bool


_Block = Union[_Para, _Heading, _Code, _List]


def format_doc(lines: List[str]) -> List[str]:
    """The lines of a `//` doc comment (without `//`) as gofmt prints them."""
    text = _unindent(lines)
    if not text:
        return []
    blocks: List[_Block] = []
    links: List[Tuple[str, str]] = []
    prev_end = 0
    for start, end, kind in _spans(text):
        span = text[start:end]
        if kind == "list":
            blocks.append(_list(span, prev_end < start, links))
        elif kind == "code":
            blocks.append(_Code(_unindent(span)))
        elif kind == "heading":
            blocks.append(_Heading(span[0].strip()[1:].strip()))
        elif kind == "old_heading":
            blocks.append(_Heading(span[0].strip()))
        else:
            para = _paragraph(span, links)
            if para is not None:
                blocks.append(_Para(para))
        prev_end = end
    return _print(blocks, links)


def _print(blocks: List[_Block], links: List[Tuple[str, str]]) -> List[str]:
    out: List[str] = []
    for i, b in enumerate(blocks):
        if i > 0 and (not isinstance(b, _List) or b.blank_before):
            out.append("")
        if isinstance(b, _Para):
            out.extend(b.lines)
        elif isinstance(b, _Heading):
            out.append("# " + b.text)
        elif isinstance(b, _Code):
            out.extend("\t" + ln if ln else "" for ln in b.lines)
        else:
            for j, item in enumerate(b.items):
                if j > 0 and b.blank_between:
                    out.append("")
                marker = "  - " if item.number == "" else f" {item.number}. "
                for k, para in enumerate(item.paras):
                    if k > 0:
                        out.append("")
                    lead = marker if k == 0 else "    "
                    out.append(lead + para[0])
                    out.extend("    " + ln for ln in para[1:])
                if not item.paras:
                    out.append(marker.rstrip())
    # Link definitions: the used ones, then the unused ones, each group after a blank line.
    texts = [b.lines for b in blocks if isinstance(b, _Para)]
    texts += [p for b in blocks if isinstance(b, _List) for it in b.items for p in it.paras]
    used = _used_links(texts, links)
    for want in (True, False):
        group = [f"[{t}]: {u}" for (t, u), u_ in zip(links, used) if u_ == want]
        if group:
            out.append("")
            out.extend(group)
    return [ln.rstrip(" \t") for ln in out]  # go/printer trims trailing blanks


def _spans(lines: List[str]) -> List[Tuple[int, int, str]]:
    """go/doc/comment parseSpans: (start, end, kind) of each block."""
    spans: List[Tuple[int, int, str]] = []
    i = 0
    force_indent = 0
    watchdog = 2 * len(lines)
    while True:
        while i < len(lines) and lines[i] == "":
            i += 1
        if i >= len(lines):
            break
        watchdog -= 1
        if watchdog < 0:
            raise RuntimeError("godoc: internal error: not making progress")
        start = i
        if i < force_indent or _indented(lines[i]):
            unindented_list_ok = _is_list(lines[i]) and i < force_indent
            i += 1
            while i < len(lines) and (
                lines[i] == ""
                or i < force_indent
                or _indented(lines[i])
                or (unindented_list_ok and _is_list(lines[i]))
            ):
                if lines[i] == "":
                    unindented_list_ok = False
                i += 1
            end = i
            while end > start and lines[end - 1] == "":
                end -= 1
            if end < len(lines) and lines[end].startswith("}"):
                end += 1
            kind = "list" if _is_list(lines[start]) else "code"
        else:
            i += 1
            while i < len(lines) and lines[i] != "" and not _indented(lines[i]):
                i += 1
            end = i
            if i < len(lines) and lines[i] != "" and not _is_list(lines[i]):
                if _is_list(lines[i - 1]):
                    force_indent = end
                    end -= 1
                    while end > start and _is_list(lines[end - 1]):
                        end -= 1
                elif lines[i - 1].endswith(("{", "\\")):
                    force_indent = end
                    end -= 1
                if start == end and force_indent > start:
                    i = start
                    continue
            if end - start == 1 and _is_heading(lines[start]):
                kind = "heading"
            elif end - start == 1 and _is_old_heading(lines[start], lines, start):
                kind = "old_heading"
            else:
                kind = "para"
        spans.append((start, end, kind))
        i = end
    return spans


def _indented(line: str) -> bool:
    return line[:1] in (" ", "\t")


def _leading_space(s: str) -> str:
    return s[: len(s) - len(s.lstrip(" \t"))]


def _unindent(lines: List[str]) -> List[str]:
    """Drop blank lines at both ends and the common space/tab prefix; blank-only lines become ""."""
    while lines and lines[0] == "":
        lines = lines[1:]
    while lines and lines[-1] == "":
        lines = lines[:-1]
    if not lines:
        return []
    prefix = _leading_space(lines[0])
    for line in lines[1:]:
        if line:
            lead = _leading_space(line)
            n = 0
            while n < len(prefix) and n < len(lead) and prefix[n] == lead[n]:
                n += 1
            prefix = prefix[:n]
    out = [ln[len(prefix) :] if ln.startswith(prefix) else ln for ln in lines]
    out = ["" if not ln.strip(" \t\n\r\v\f") else ln for ln in out]
    while out and out[0] == "":
        out.pop(0)
    while out and out[-1] == "":
        out.pop()
    return out


def _is_heading(line: str) -> bool:
    return len(line) >= 2 and line[0] == "#" and line[1] in " \t" and line.strip() != "#"


def _is_old_heading(line: str, lines: List[str], off: int) -> bool:
    if (
        off <= 0
        or lines[off - 1] != ""
        or off + 2 >= len(lines)
        or lines[off + 1] != ""
        or _leading_space(lines[off + 2]) != ""
    ):
        return False
    line = line.strip()
    if not (line[:1].isalpha() and unicodedata.category(line[0]) == "Lu"):
        return False
    if not (line[-1].isalpha() or line[-1].isdigit()):
        return False
    if any(c in line for c in ';:!?+*/=[]{}_^°&§~%#@<">\\'):
        return False
    for after in line.split("'")[1:]:
        if after != "s" and not after.startswith("s "):
            return False
    for after in line.split(".")[1:]:
        if after == "" or after.startswith(" "):
            return False
    return True


def _list_marker(line: str) -> Optional[Tuple[str, str]]:
    """(number or "" for a bullet, rest of the line) if the line starts a list item."""
    line = line.strip()
    if not line:
        return None
    if line[0] in "•*+-":
        num, rest = "", line[1:]
    elif line[0].isdigit() and line[0].isascii():
        n = 1
        while n < len(line) and line[n].isdigit() and line[n].isascii():
            n += 1
        if n >= len(line) or line[n] not in ".)":
            return None
        num, rest = line[:n], line[n + 1 :]
    else:
        return None
    if not _indented(rest) or not rest.strip():
        return None
    return num, rest


def _is_list(line: str) -> bool:
    return _list_marker(line) is not None


def _paragraph(lines: List[str], links: List[Tuple[str, str]]) -> Optional[List[str]]:
    """The paragraph's lines, or None if they are all link definitions (collected in `links`)."""
    defs = [_link_def(ln) for ln in lines]
    if all(d is not None for d in defs):
        links.extend(d for d in defs if d is not None)
        return None
    return lines


def _link_def(line: str) -> Optional[Tuple[str, str]]:
    """`[text]: url` (go/doc/comment parseLink)."""
    if not line.startswith("["):
        return None
    i = line.find("]:")
    if i < 0 or i + 3 >= len(line) or line[i + 2] not in " \t":
        return None
    url = line[i + 3 :].strip()
    scheme, sep, _ = url.partition("://")
    if not sep or scheme not in _SCHEMES:
        return None
    return line[1:i], url


def _used_links(texts: List[List[str]], links: List[Tuple[str, str]]) -> List[bool]:
    """Which link definitions a `[text]` refers to (the first definition of each text)."""
    refs = set()
    for lines in texts:
        text = "\n".join(lines)
        start = -1
        for i, c in enumerate(text):
            if c == "[":
                start = i
            elif c == "]":
                if start >= 0:
                    refs.add(re.sub(r"[\n\t]", " ", text[start + 1 : i]))
                start = -1
    first: Dict[str, int] = {}
    for i, (t, _) in enumerate(links):
        first.setdefault(t, i)
    return [t in refs and first[t] == i for i, (t, _) in enumerate(links)]


def _list(lines: List[str], blank_before: bool, links: List[Tuple[str, str]]) -> _List:
    first = _list_marker(lines[0])
    num = first[0] if first else ""
    items: List[_Item] = []
    text: List[str] = []
    blank_between = False

    def flush() -> None:
        if items and text:
            para = _paragraph(list(text), links)
            if para is not None:
                items[-1].paras.append(para)
        text.clear()

    for line in lines:
        marker = _list_marker(line)
        if marker is not None and (marker[0] != "") == (num != ""):
            flush()
            items.append(_Item(marker[0]))
            line = marker[1]
        line = line.strip()
        if not line:
            blank_between = True
            flush()
            continue
        text.append(line)
    flush()
    loose = blank_between or any(len(it.paras) != 1 for it in items)
    return _List(items, blank_before or loose, loose)
