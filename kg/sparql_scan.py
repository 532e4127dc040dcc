"""A light lexical scan of SPARQL text (SPARQL 1.1 Query §19 terminals).

Not a parser: it skips comments, strings, IRIs, variables and prefixed names
to find bare keywords with their brace depth, and measures bracket nesting.
Used to apply the protocol's ``using-graph-uri`` to updates, to refuse
``SERVICE`` when federation is off, and to refuse queries nested so deeply
that the query engine's recursive parser would exhaust its stack.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Scan:
    """Keywords as (offset, upper-cased word, brace depth), and the deepest
    nesting of ``(``, ``{`` and ``[``."""

    keywords: list[tuple[int, str, int]] = field(default_factory=list)
    max_nesting: int = 0

    def words(self, depth: int | None = None) -> list[tuple[int, str]]:
        """(offset, word) of the keywords, at one brace depth or all."""
        return [(p, w) for p, w, d in self.keywords if depth is None or d == depth]


def scan(text: str) -> Scan:
    """Scan SPARQL ``text`` (query or update)."""
    out = Scan()
    i, braces, nesting, n = 0, 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
        elif c == "<" and (m := _IRI.match(text, i)):
            i = m.end()
        elif c in "({[":
            braces += c == "{"
            nesting += 1
            out.max_nesting = max(out.max_nesting, nesting)
            i += 1
        elif c in ")}]":
            braces -= c == "}"
            nesting -= 1
            i += 1
        elif c in "?$":
            m = _WORD.match(text, i + 1)
            i = m.end() if m else i + 1
        elif c.isalpha() or c == "_":
            m = _WORD.match(text, i)
            assert m
            end = m.end()
            prefixed = (end < n and text[end] == ":") or (i > 0 and text[i - 1] == ":")
            if not prefixed:
                out.keywords.append((i, m.group(0).upper(), braces))
            i = end
        else:
            i += 1
    return out
