"""A small parser for the Bicep this repo writes, so tests can check infra/ structurally.

No Bicep compiler can be installed from the package registries this project uses (npm's
bicep-node downloads the CLI from GitHub at run time; PyPI's "bicep" is unrelated), so the
tests parse the templates themselves; CI also compiles and lints them with the real compiler
(`az bicep build` / `lint` in .github/workflows/deploy.yml).

It covers the language as used here: params with decorators, vars, resources and modules (plain,
`if (...)` and `[for ...]`), outputs, `using` and assignments in .bicepparam files, and
expressions (strings with interpolation, objects, arrays, for-expressions, lambdas, calls,
member and index access, unary, binary and ternary operators). Anything else is a ParseError,
not a silent skip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator


class ParseError(Exception):
    pass


# ---------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class Tok:
    kind: str  # ident, number, string, punct, newline, eof
    value: Any
    line: int


_PUNCT = sorted(
    ["{", "}", "[", "]", "(", ")", ",", ":", ".", "?", "!", "=", "==", "!=", "=~", "!~", "<", "<=", ">",
     ">=", "&&", "||", "+", "-", "*", "/", "%", "??", "@", ".?", "=>", "|", "::"],
    key=len, reverse=True,
)
_ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


class _Lexer:
    def __init__(self, text: str, name: str):
        self.text, self.name, self.pos, self.line = text, name, 0, 1

    def error(self, message: str) -> ParseError:
        return ParseError(f"{self.name}:{self.line}: {message}")

    def tokens(self, until_brace: bool = False) -> list[Tok]:
        """Tokens to the end of the text, or (for an interpolation) to its unmatched `}`."""
        out: list[Tok] = []
        depth = 0
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r":
                self.pos += 1
            elif ch == "\n":
                out.append(Tok("newline", "\n", self.line))
                self.line += 1
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos)
                if end < 0:
                    raise self.error("unterminated /* comment")
                self.line += text.count("\n", self.pos, end)
                self.pos = end + 2
            elif text.startswith("'''", self.pos):
                end = text.find("'''", self.pos + 3)
                if end < 0:
                    raise self.error("unterminated ''' string")
                value = text[self.pos + 3:end]
                out.append(Tok("string", [value.removeprefix("\n")], self.line))
                self.line += value.count("\n")
                self.pos = end + 3
            elif ch == "'":
                out.append(Tok("string", self._string(), self.line))
            elif ch.isdigit():
                match = re.compile(r"\d+").match(text, self.pos)
                out.append(Tok("number", int(match.group()), self.line))
                self.pos = match.end()
            elif ch.isalpha() or ch == "_":
                match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, self.pos)
                out.append(Tok("ident", match.group(), self.line))
                self.pos = match.end()
            else:
                punct = next((p for p in _PUNCT if text.startswith(p, self.pos)), None)
                if punct is None:
                    raise self.error(f"unexpected character {ch!r}")
                if until_brace and punct == "{":
                    depth += 1
                if until_brace and punct == "}":
                    if depth == 0:
                        self.pos += 1
                        return out + [Tok("eof", None, self.line)]
                    depth -= 1
                out.append(Tok("punct", punct, self.line))
                self.pos += len(punct)
        if until_brace:
            raise self.error("unterminated ${ interpolation")
        return out + [Tok("eof", None, self.line)]

    def _string(self) -> list:
        """A '...' string as parts: str for literal text, Node for each ${...} interpolation."""
        self.pos += 1
        parts: list = []
        buf: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                raise self.error("unterminated string")
            ch = text[self.pos]
            if ch == "'":
                self.pos += 1
                break
            if ch == "\\":
                nxt = text[self.pos + 1:self.pos + 2]
                if nxt not in _ESCAPES:
                    raise self.error(f"unknown escape \\{nxt}")
                buf.append(_ESCAPES[nxt])
                self.pos += 2
            elif text.startswith("${", self.pos):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                self.pos += 2
                inner = self.tokens(until_brace=True)
                parser = _Parser(inner, self.name)
                parts.append(parser.expression())
                parser.expect_kind("eof")
            else:
                buf.append(ch)
                self.pos += 1
        if buf:
            parts.append("".join(buf))
        return parts


# ---------------------------------------------------------------------------- syntax tree

@dataclass
class Node:
    kind: str  # str, num, bool, null, ident, obj, arr, for, prop, index, call, unary, binary, ternary, lambda, if
    value: Any = None
    children: list = field(default_factory=list)
    line: int = 0

    # Object helpers ----------------------------------------------------------
    def keys(self) -> list[str]:
        assert self.kind == "obj", self.kind
        return [key for key, _ in self.value]

    def get(self, *path: str) -> "Node | None":
        """The value at an object path (`get('properties', 'siteConfig')`), or None."""
        node: Node | None = self
        for key in path:
            if node is None or node.kind != "obj":
                return None
            node = dict(node.value).get(key)
        return node

    def literal(self) -> Any:
        """The Python value of a literal subtree; ValueError if it holds any expression."""
        if self.kind == "str":
            if not all(isinstance(p, str) for p in self.value):
                raise ValueError("interpolated string")
            return "".join(self.value)
        if self.kind in ("num", "bool"):
            return self.value
        if self.kind == "null":
            return None
        if self.kind == "unary" and self.value == "-" and self.children[0].kind == "num":
            return -self.children[0].value
        if self.kind == "obj":
            return {key: value.literal() for key, value in self.value}
        if self.kind == "arr":
            return [item.literal() for item in self.children]
        raise ValueError(f"not a literal: {self.kind}")

    def walk(self) -> Iterator["Node"]:
        yield self
        if self.kind == "str":
            for part in self.value:
                if isinstance(part, Node):
                    yield from part.walk()
        if self.kind == "obj":
            for _, value in self.value:
                yield from value.walk()
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()


@dataclass
class Decl:
    kind: str  # param, var, resource, module, output, type, targetScope, metadata, using, import
    name: str | None
    line: int
    decorators: list[Node] = field(default_factory=list)
    type: str | None = None  # param/output type; resource type@version; module path; using path
    value: Node | None = None  # default / value / body
    existing: bool = False

    def decorator(self, name: str) -> Node | None:
        return next((d for d in self.decorators if d.kind == "call" and d.value == name), None)

    def body(self) -> Node:
        """A resource's or module's object body, looking through `if (...)` and `[for ...]`."""
        node = self.value
        while node is not None and node.kind in ("if", "for"):
            node = node.children[-1]
        if node is None or node.kind != "obj":
            raise ParseError(f"line {self.line}: {self.kind} {self.name} has no object body")
        return node


@dataclass
class BicepFile:
    path: Path
    decls: list[Decl]

    def named(self, kind: str) -> dict[str, Decl]:
        return {d.name: d for d in self.decls if d.kind == kind}

    @property
    def params(self) -> dict[str, Decl]:
        return self.named("param")

    @property
    def vars(self) -> dict[str, Decl]:
        return self.named("var")

    @property
    def resources(self) -> dict[str, Decl]:
        return self.named("resource")

    @property
    def modules(self) -> dict[str, Decl]:
        return self.named("module")

    @property
    def outputs(self) -> dict[str, Decl]:
        return self.named("output")

    def resources_of_type(self, resource_type: str) -> list[Decl]:
        return [d for d in self.resources.values() if d.type.split("@")[0] == resource_type]

    def using(self) -> str | None:
        return next((d.type for d in self.decls if d.kind == "using"), None)


# ---------------------------------------------------------------------------- parser

_BINARY = [  # lowest precedence first
    ["??"],
    ["||"],
    ["&&"],
    ["==", "!=", "=~", "!~"],
    ["<", "<=", ">", ">="],
    ["+", "-"],
    ["*", "/", "%"],
]
_KEYWORDS = {"true", "false", "null", "for", "in", "if"}


class _Parser:
    def __init__(self, tokens: list[Tok], name: str):
        self.toks, self.i, self.name = tokens, 0, name

    # Token helpers ---------------------------------------------------------
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, offset: int = 1) -> Tok:
        return self.toks[min(self.i + offset, len(self.toks) - 1)]

    def error(self, message: str) -> ParseError:
        return ParseError(f"{self.name}:{self.tok.line}: {message} (at {self.tok.kind} {self.tok.value!r})")

    def at(self, value: str) -> bool:
        return self.tok.kind in ("punct", "ident") and self.tok.value == value

    def eat(self, value: str) -> bool:
        if self.at(value):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> Tok:
        if not self.at(value):
            raise self.error(f"expected {value!r}")
        tok = self.tok
        self.i += 1
        return tok

    def expect_kind(self, kind: str) -> Tok:
        if self.tok.kind != kind:
            raise self.error(f"expected {kind}")
        tok = self.tok
        self.i += 1
        return tok

    def skip_newlines(self) -> None:
        while self.tok.kind == "newline":
            self.i += 1

    def end_of_statement(self) -> None:
        if self.tok.kind not in ("newline", "eof"):
            raise self.error("expected end of line")
        self.skip_newlines()

    # Statements ------------------------------------------------------------
    def file(self) -> list[Decl]:
        decls: list[Decl] = []
        self.skip_newlines()
        while self.tok.kind != "eof":
            decorators = []
            while self.eat("@"):
                decorators.append(self.postfix(self.primary()))
                self.skip_newlines()
            decl = self.statement()
            decl.decorators = decorators
            decls.append(decl)
            self.end_of_statement()
        return decls

    def statement(self) -> Decl:
        line = self.tok.line
        word = self.expect_kind("ident").value
        if word == "targetScope":
            self.expect("=")
            return Decl("targetScope", None, line, value=self.expression())
        if word == "using":
            return Decl("using", None, line, type=self.plain_string())
        if word in ("param", "var", "output", "type", "metadata"):
            name = self.expect_kind("ident").value
            type_text = None
            if word in ("param", "output") and not self.at("="):
                type_text = self.type_expression()
            value = None
            if self.eat("="):
                value = self.type_value() if word == "type" else self.expression()
            elif word != "param":
                raise self.error(f"{word} {name} needs a value")
            return Decl(word, name, line, type=type_text, value=value)
        if word in ("resource", "module"):
            name = self.expect_kind("ident").value
            type_text = self.plain_string()
            existing = self.eat("existing")
            self.expect("=")
            return Decl(word, name, line, type=type_text, value=self.resource_body(), existing=existing)
        raise self.error(f"unsupported statement {word!r}")

    def plain_string(self) -> str:
        tok = self.expect_kind("string")
        if not all(isinstance(p, str) for p in tok.value):
            raise self.error("expected a string without interpolation")
        return "".join(tok.value)

    def type_expression(self) -> str:
        """A param/output type, kept as text: `string`, `object`, `string[]`, `int?`, ..."""
        parts = [self.expect_kind("ident").value]
        while self.at("[") and self.peek().value == "]":
            self.i += 2
            parts.append("[]")
        if self.eat("?"):
            parts.append("?")
        return "".join(parts)

    def type_value(self) -> Node:
        return self.expression()

    def resource_body(self) -> Node:
        if self.at("if"):
            line = self.tok.line
            self.i += 1
            self.expect("(")
            condition = self.expression()
            self.expect(")")
            return Node("if", None, [condition, self.object_literal()], line)
        if self.at("["):
            return self.array_literal()
        return self.object_literal()

    # Expressions -----------------------------------------------------------
    def expression(self) -> Node:
        node = self.binary(0)
        if self.at("?"):
            line = self.tok.line
            self.i += 1
            self.skip_newlines()
            then = self.expression()
            self.skip_newlines()
            self.expect(":")
            self.skip_newlines()
            otherwise = self.expression()
            return Node("ternary", None, [node, then, otherwise], line)
        return node

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while self.tok.kind == "punct" and self.tok.value in _BINARY[level]:
            op, line = self.tok.value, self.tok.line
            self.i += 1
            self.skip_newlines()
            node = Node("binary", op, [node, self.binary(level + 1)], line)
        return node

    def unary(self) -> Node:
        if self.tok.kind == "punct" and self.tok.value in ("!", "-"):
            op, line = self.tok.value, self.tok.line
            self.i += 1
            return Node("unary", op, [self.unary()], line)
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            line = self.tok.line
            if self.at(".") or self.at(".?"):
                self.i += 1
                node = Node("prop", self.expect_kind("ident").value, [node], line)
            elif self.at("["):
                self.i += 1
                self.eat("?")
                index = self.expression()
                self.expect("]")
                node = Node("index", None, [node, index], line)
            elif self.at("(") and node.kind in ("ident", "prop"):
                self.i += 1
                args = self.arguments(")")
                name = node.value if node.kind == "ident" else f"{self.dotted(node.children[0])}.{node.value}"
                node = Node("call", name, args, line)
            elif self.at("!") and self.peek().kind in ("punct", "newline", "eof") and self.peek().value not in ("=",):
                # Non-null assertion `x!` (a prefix `!` never follows an operand).
                self.i += 1
                node = Node("unary", "assert-not-null", [node], line)
            else:
                return node

    @staticmethod
    def dotted(node: Node) -> str:
        if node.kind == "ident":
            return node.value
        if node.kind == "prop":
            return f"{_Parser.dotted(node.children[0])}.{node.value}"
        raise ParseError(f"line {node.line}: cannot call a member of {node.kind}")

    def arguments(self, closer: str) -> list[Node]:
        args: list[Node] = []
        self.skip_newlines()
        while not self.eat(closer):
            args.append(self.expression())
            self.skip_newlines()
            if not self.at(closer):
                self.expect(",")
                self.skip_newlines()
        return args

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "string":
            self.i += 1
            return Node("str", tok.value, [], tok.line)
        if tok.kind == "number":
            self.i += 1
            return Node("num", tok.value, [], tok.line)
        if tok.kind == "ident":
            if tok.value in ("true", "false"):
                self.i += 1
                return Node("bool", tok.value == "true", [], tok.line)
            if tok.value == "null":
                self.i += 1
                return Node("null", None, [], tok.line)
            if self.peek().kind == "punct" and self.peek().value == "=>":
                self.i += 2
                return Node("lambda", [tok.value], [self.expression()], tok.line)
            self.i += 1
            return Node("ident", tok.value, [], tok.line)
        if self.at("("):
            lambda_params = self.try_lambda_params()
            if lambda_params is not None:
                return Node("lambda", lambda_params, [self.expression()], tok.line)
            self.i += 1
            self.skip_newlines()
            node = self.expression()
            self.skip_newlines()
            self.expect(")")
            return node
        if self.at("{"):
            return self.object_literal()
        if self.at("["):
            return self.array_literal()
        raise self.error("expected an expression")

    def try_lambda_params(self) -> list[str] | None:
        """`(a, b) =>`: consumes and returns the names; else leaves the position alone."""
        j, names = self.i + 1, []
        while self.toks[j].kind == "ident":
            names.append(self.toks[j].value)
            j += 1
            if self.toks[j].value == ",":
                j += 1
        if self.toks[j].value == ")" and self.toks[j + 1].value == "=>":
            self.i = j + 2
            return names
        return None

    def object_literal(self) -> Node:
        line = self.expect("{").line
        entries: list[tuple[str, Node]] = []
        key_expressions: list[Node] = []
        self.skip_newlines()
        while not self.eat("}"):
            while self.eat("@"):  # decorators on object properties (types): keep the value only
                self.postfix(self.primary())
                self.skip_newlines()
            if self.tok.kind == "ident":
                key = self.tok.value
            elif self.tok.kind == "string":
                # An interpolated key ('${identityId}') keeps its expressions as the node's
                # children, so they are walked and resolved like any other expression.
                parts = self.tok.value
                key = "".join(p if isinstance(p, str) else "${}" for p in parts)
                key_expressions.extend(p for p in parts if isinstance(p, Node))
            else:
                raise self.error("expected a property name")
            self.i += 1
            if any(k == key for k, _ in entries):
                raise self.error(f"duplicate property {key!r}")
            self.expect(":")
            entries.append((key, self.expression()))
            if not self.eat(","):
                if self.tok.kind != "newline" and not self.at("}"):
                    raise self.error("expected a new line between properties")
            self.skip_newlines()
        return Node("obj", entries, key_expressions, line)

    def array_literal(self) -> Node:
        line = self.expect("[").line
        self.skip_newlines()
        if self.at("for"):
            self.i += 1
            if self.eat("("):
                names = [self.expect_kind("ident").value]
                while self.eat(","):
                    names.append(self.expect_kind("ident").value)
                self.expect(")")
            else:
                names = [self.expect_kind("ident").value]
            self.expect("in")
            iterable = self.expression()
            self.expect(":")
            self.skip_newlines()
            body = self.resource_body() if self.at("if") or self.at("{") else self.expression()
            self.skip_newlines()
            self.expect("]")
            return Node("for", names, [iterable, body], line)
        items: list[Node] = []
        while not self.eat("]"):
            items.append(self.expression())
            if not self.eat(","):
                if self.tok.kind != "newline" and not self.at("]"):
                    raise self.error("expected a new line between items")
            self.skip_newlines()
        return Node("arr", None, items, line)


def parse_text(text: str, name: str = "<text>") -> list[Decl]:
    tokens = _Lexer(text, name).tokens()
    return _Parser(tokens, name).file()


def parse(path: Path) -> BicepFile:
    path = Path(path)
    decls = parse_text(path.read_text(encoding="utf-8"), str(path))
    seen: dict[str, int] = {}
    for decl in decls:
        if decl.name is None or decl.kind == "output":
            continue
        if decl.name in seen:
            raise ParseError(f"{path}:{decl.line}: {decl.name} is declared twice (first at line {seen[decl.name]})")
        seen[decl.name] = decl.line
    return BicepFile(path, decls)


# ---------------------------------------------------------------------------- references

# Bicep's built-in functions and namespaces, as far as this repo may use them.
BUILTIN_FUNCTIONS = {
    "any", "array", "base64", "base64ToString", "bool", "coalesce", "concat", "contains", "dataUri",
    "dateTimeAdd", "deployment", "empty", "endsWith", "environment", "extensionResourceId", "filter",
    "first", "flatten", "format", "getSecret", "guid", "indexOf", "int", "intersection", "items",
    "join", "json", "last", "lastIndexOf", "length", "listKeys", "loadJsonContent", "loadTextContent",
    "managementGroup", "map", "max", "min", "newGuid", "objectKeys", "padLeft", "range",
    "readEnvironmentVariable", "reduce", "reference", "replace", "resourceGroup", "resourceId", "skip",
    "sort", "split", "startsWith", "string", "subscription", "subscriptionResourceId", "substring",
    "take", "tenant", "tenantResourceId", "toLower", "toObject", "toUpper", "trim", "union",
    "uniqueString", "uri", "uriComponent", "uriComponentToString", "utcNow",
    # decorators
    "allowed", "description", "minValue", "maxValue", "minLength", "maxLength", "secure", "metadata",
    "sys.description", "batchSize", "export",
}


def free_identifiers(node: Node, bound: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Identifier nodes that refer to a declaration (not loop variables or lambda parameters)."""
    if node.kind == "ident":
        if node.value not in bound:
            yield node
        return
    if node.kind == "for":
        iterable, body = node.children
        yield from free_identifiers(iterable, bound)
        yield from free_identifiers(body, bound | frozenset(node.value))
        return
    if node.kind == "lambda":
        yield from free_identifiers(node.children[0], bound | frozenset(node.value))
        return
    if node.kind == "prop":  # only the object side refers to anything
        yield from free_identifiers(node.children[0], bound)
        return
    if node.kind == "str":
        for part in node.value:
            if isinstance(part, Node):
                yield from free_identifiers(part, bound)
        return
    if node.kind == "obj":
        for _, value in node.value:
            yield from free_identifiers(value, bound)
    for child in node.children:
        yield from free_identifiers(child, bound)


def calls(node: Node) -> Iterator[Node]:
    for sub in node.walk():
        if sub.kind == "call":
            yield sub


def string_literals(node: Node) -> Iterator[str]:
    for sub in node.walk():
        if sub.kind == "str":
            for part in sub.value:
                if isinstance(part, str):
                    yield part
