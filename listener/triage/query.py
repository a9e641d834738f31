"""Boolean watchlist queries: parse and evaluate the `query:` key of a watchlist.

Syntax, in the style of Brandwatch and Talkwalker: terms in double quotes ("ทรูมูฟ", "true move") or bare
single words; `AND`, `OR`, `NOT`, parentheses; `a NEAR/n b` (a and b at most n words apart, either order)
and `a NEAR/nf b` (a first). Operators are upper case, so a lower-case "and" inside a term stays a word.
Binding, tightest first: NOT, NEAR, AND, OR. NEAR takes a term or a parenthesised OR of terms on each side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from listener.triage.matching import Span, within


class QueryError(ValueError):
    """The query cannot be parsed; the message says where."""


@dataclass(frozen=True)
class Term:
    text: str


@dataclass(frozen=True)
class Not:
    item: "Node"


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Near:
    left: "Node"
    right: "Node"
    distance: int
    ordered: bool


Node = Term | Not | And | Or | Near

_TOKEN = re.compile(r'\s*(?:"([^"]*)"|(\()|(\))|NEAR/(\d+)(f?)(?![^\s()"])|(AND|OR|NOT)(?![^\s()"])|([^\s()"]+))')


def _lex(query: str) -> Iterator[tuple[str, str, int]]:
    """(kind, value, column) for each token; kinds: term, (, ), near, op."""
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            if query[pos:].strip():
                column = query.index('"', pos) + 1
                raise QueryError(f"unclosed quote at column {column}")
            return
        column = m.start() + len(m.group(0)) - len(m.group(0).lstrip()) + 1
        quoted, lpar, rpar, dist, order, op, bare = m.groups()
        pos = m.end()
        if quoted is not None:
            yield "term", quoted, column
        elif lpar or rpar:
            yield lpar or rpar, "", column
        elif dist is not None:
            yield "near", dist + order, column
        elif op:
            yield "op", op, column
        else:
            yield "term", bare, column


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = list(_lex(query))
        self.pos = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise QueryError("the query ends where a term or '(' was expected")
        self.pos += 1
        return token

    def is_op(self, name: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] == name

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            hint = "an unmatched ')'" if token[0] == ")" else "a missing AND/OR"
            raise QueryError(f"unexpected {token[1] or token[0]!r} at column {token[2]} ({hint}?)")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.is_op("OR"):
            self.pos += 1
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.is_op("AND"):
            self.pos += 1
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.is_op("NOT"):
            self.pos += 1
            return Not(self.not_expr())
        return self.near_expr()

    def near_expr(self) -> Node:
        node = self.atom()
        while (token := self.peek()) is not None and token[0] == "near":
            self.pos += 1
            right = self.atom()
            for side in (node, right):
                if not _positional(side):
                    raise QueryError(f"NEAR at column {token[2]} needs a term or an OR of terms on each side")
            node = Near(node, right, int(token[1].rstrip("f")), token[1].endswith("f"))
        return node

    def atom(self) -> Node:
        kind, value, column = self.take()
        if kind == "term":
            if not value.strip():
                raise QueryError(f"empty term at column {column}")
            return Term(value)
        if kind == "(":
            node = self.or_expr()
            closing = self.peek()
            if closing is None or closing[0] != ")":
                raise QueryError(f"'(' at column {column} is not closed")
            self.pos += 1
            return node
        raise QueryError(f"unexpected {value or kind!r} at column {column}; expected a term or '('")


def _positional(node: Node) -> bool:
    return isinstance(node, Term) or (isinstance(node, Or) and all(isinstance(i, Term) for i in node.items))


def parse_query(query: str) -> Node:
    """Parse a query, raising QueryError with the column of the problem."""
    if not query.strip():
        raise QueryError("the query is empty")
    node = _Parser(query).parse()
    if not positive_terms(node):
        raise QueryError("the query needs at least one term outside NOT, or it would match every post")
    return node


def all_terms(node: Node) -> list[str]:
    """Every term in the query, in order of appearance."""
    if isinstance(node, Term):
        return [node.text]
    if isinstance(node, Not):
        return all_terms(node.item)
    if isinstance(node, Near):
        return all_terms(node.left) + all_terms(node.right)
    return [t for item in node.items for t in all_terms(item)]


def positive_terms(node: Node) -> list[str]:
    """Terms whose presence can make the query true (those not under NOT)."""
    if isinstance(node, Not):
        return []
    if isinstance(node, Term):
        return [node.text]
    if isinstance(node, Near):
        return all_terms(node)
    return [t for item in node.items for t in positive_terms(item)]


def evaluate(node: Node, spans_of: Callable[[str], list[Span]]) -> bool:
    """Whether the query holds, given where each term occurs in the text (token spans)."""
    if isinstance(node, Term):
        return bool(spans_of(node.text))
    if isinstance(node, Not):
        return not evaluate(node.item, spans_of)
    if isinstance(node, And):
        return all(evaluate(item, spans_of) for item in node.items)
    if isinstance(node, Or):
        return any(evaluate(item, spans_of) for item in node.items)
    return within(_spans(node.left, spans_of), _spans(node.right, spans_of), node.distance, node.ordered)


def _spans(node: Node, spans_of: Callable[[str], list[Span]]) -> list[Span]:
    terms = [node] if isinstance(node, Term) else list(node.items)  # type: ignore[union-attr]
    return [span for term in terms for span in spans_of(term.text)]  # type: ignore[union-attr]
