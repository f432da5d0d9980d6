"""What a `.proto` file defines and imports, read from its source without protoc.

The repo-wide checks (symbol clashes between targets, wasm name clashes within a plugin, imports
no target provides) look at files protoc never sees together, so they cannot use protoc's own
errors. This scanner knows just enough of the grammar: `package`, `import`, `message`, `enum` (and
its values, which protobuf scopes beside the enum), `service`/`rpc` and the service's leading
`// go:plugin` comment. A file it misreads still goes through protoc and the generator.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from wasmplug_codegen import contract

_TOKEN_RE = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?\*/)"""
    r"""|(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    r"""|(?P<ident>\.?[A-Za-z_][\w.]*)"""
    r"""|(?P<number>-?[0-9][\w.]*)"""
    r"""|(?P<punct>[^\s\w])""",
    re.S,
)


@dataclass(frozen=True)
class ProtoSymbol:
    name: str  # fully qualified, without a leading dot
    line: int


@dataclass(frozen=True)
class ProtoMethod:
    name: str
    line: int


@dataclass(frozen=True)
class ProtoService:
    name: str  # as declared (not qualified)
    full_name: str
    kind: str  # "plugin", "host", or "" (no go:plugin annotation)
    module: str  # the wasm import module of a host service
    line: int
    methods: Tuple[ProtoMethod, ...]

    def wasm_names(self) -> List[Tuple[str, str, int]]:
        """(wasm name, what defines it, line) of every export or import the generator emits."""
        if self.kind == "plugin":
            names = [(contract.snake(self.name) + "_api_version", self.full_name, self.line)]
            names += [
                (contract.snake(self.name + m.name), f"{self.full_name}.{m.name}", m.line)
                for m in self.methods
            ]
            return names
        if self.kind == "host":
            return [
                (f"{self.module}.{contract.snake(m.name)}", f"{self.full_name}.{m.name}", m.line)
                for m in self.methods
            ]
        return []


@dataclass(frozen=True)
class ScannedProto:
    package: str
    imports: Tuple[Tuple[str, int], ...]  # (imported path, line)
    symbols: Tuple[ProtoSymbol, ...]
    services: Tuple[ProtoService, ...]


@dataclass
class _Token:
    kind: str
    text: str
    line: int


def _tokens(text: str) -> List[_Token]:
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "punct"
        out.append(_Token(kind, m.group(), bisect.bisect_right(starts, m.start())))
    return out


def _annotation(comments: List[_Token], line: int) -> Tuple[str, str]:
    """(type, module) from the `go:plugin` line of the comment block directly above `line`."""
    block: List[_Token] = []
    expect = line
    for c in reversed(comments):
        end = c.line + c.text.count("\n")
        if end < expect - 1:
            break
        block.insert(0, c)
        expect = c.line
    for c in block:
        body = c.text[2:-2] if c.text.startswith("/*") else c.text[2:]
        for raw in body.split("\n"):
            m = contract.ANNOTATION_RE.match(raw.lstrip(" *") if c.text.startswith("/*") else raw)
            if m:
                fields = dict(t.partition("=")[::2] for t in m.group(1).split())
                return fields.get("type", ""), fields.get("module", "env")
    return "", "env"


def scan_proto(text: str) -> ScannedProto:
    code: List[_Token] = []
    leading: List[List[_Token]] = []  # the comments between code[i - 1] and code[i]
    pending_comments: List[_Token] = []
    for t in _tokens(text):
        if t.kind == "comment":
            pending_comments.append(t)
        else:
            code.append(t)
            leading.append(pending_comments)
            pending_comments = []
    package = ""
    imports: List[Tuple[str, int]] = []
    symbols: List[ProtoSymbol] = []
    services: List[ProtoService] = []
    # Each open brace: (kind, qualified name of the scope it opens, or None: no scope of its own).
    stack: List[Tuple[str, Optional[str]]] = []
    methods: List[ProtoMethod] = []
    pending_service: Optional[Tuple[str, str, int, str, str]] = None

    def scope() -> str:
        for _, name in reversed(stack):
            if name is not None:
                return name + "."
        return package + "." if package else ""

    def at(i: int) -> str:
        return code[i].text if i < len(code) else ""

    statement_start = True
    i = 0
    while i < len(code):
        tok = code[i]
        kind = stack[-1][0] if stack else "file"
        word = tok.text
        if statement_start and word == "package" and kind == "file":
            package = at(i + 1).lstrip(".")
        elif statement_start and word == "import" and kind == "file":
            j = i + 1 if at(i + 1) not in ("public", "weak") else i + 2
            if j < len(code) and code[j].kind == "string":
                imports.append((code[j].text[1:-1], code[j].line))
        elif (
            statement_start
            and word in ("message", "enum", "service")
            and code[i + 1 : i + 2]
            and code[i + 1].kind == "ident"
            and at(i + 2) == "{"
        ):
            name = scope() + code[i + 1].text
            symbols.append(ProtoSymbol(name, tok.line))
            if word == "service":
                svc_kind, module = _annotation(leading[i], tok.line)
                pending_service = (code[i + 1].text, name, tok.line, svc_kind, module)
                methods = []
            # Enum values are scoped beside their enum: an enum opens no scope of its own.
            stack.append((word, None if word == "enum" else name))
            statement_start = True
            i += 3
            continue
        elif statement_start and word == "rpc" and kind == "service" and i + 1 < len(code):
            methods.append(ProtoMethod(code[i + 1].text, tok.line))
        elif (
            statement_start
            and kind == "enum"
            and tok.kind == "ident"
            and word not in ("option", "reserved")
            and at(i + 1) == "="
        ):
            symbols.append(ProtoSymbol(scope() + word, tok.line))
        if word == "{":
            stack.append(("other", None))
        elif word == "}" and stack:
            closed, _ = stack.pop()
            if closed == "service" and pending_service is not None:
                name, full, line, svc_kind, module = pending_service
                services.append(ProtoService(name, full, svc_kind, module, line, tuple(methods)))
                pending_service = None
        statement_start = word in (";", "{", "}")
        i += 1
    return ScannedProto(package, tuple(imports), tuple(symbols), tuple(services))
