"""Writing rdflib triples as N-Quads text, fast (W3C RDF 1.1 N-Quads).

Large builds stream their triples into an N-Quads file that Oxigraph's bulk
loader reads; going through pyoxigraph term objects costs about as much again
as the mapping itself. Literals are escaped as N-Triples §2.4 ECHAR requires
(``\\"``, ``\\\\``, ``\\n``, ``\\r``); IRIs are minted or normalised by kg and
percent-encoded where an IRIREF forbids a character (see :func:`safe_iri`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO
from urllib.parse import quote

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def safe_iri(iri: str) -> str:
    """``iri`` with the characters an N-Triples IRIREF forbids (space,
    ``<>"{}|^`\\``, controls) percent-encoded (RFC 3987 §3.1)."""
    if not _IRI_BAD.search(iri):
        return iri
    return _IRI_BAD.sub(lambda m: quote(m.group(0), safe=""), iri)


def term(node: Node) -> str:
    """The N-Triples form of an rdflib term."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        text = f'"{str(node).translate(_ESCAPE)}"'
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype and str(node.datatype) != "http://www.w3.org/2001/XMLSchema#string":
            return f"{text}^^<{node.datatype}>"
        return text
    if isinstance(node, BNode):
        return f"_:{node}"
    raise TypeError(f"not an RDF term: {node!r}")


def write_nquads(triples: Iterable[tuple[Node, Node, Node]], graph: str, out: IO[str] | ChunkedFiles) -> int:
    """Write ``triples`` into named graph ``graph`` as N-Quads lines.

    :param out: a text file, or :class:`ChunkedFiles` to cut the output into
        files of a bounded number of lines.
    :returns: the number of lines written (repeated triples included).
    """
    g = f"<{graph}>"
    cache: dict[Node, str] = {}  # predicates and most IRIs repeat
    n = 0
    lines = []
    for s, p, o in triples:
        ps = cache.get(p)
        if ps is None:
            ps = cache[p] = term(p)
        ss = cache.get(s)
        if ss is None:
            ss = term(s)
            if len(cache) < 200_000:
                cache[s] = ss
        lines.append(f"{ss} {ps} {term(o)} {g} .\n")
        n += 1
        if len(lines) >= 10_000:
            out.write("".join(lines), len(lines)) if isinstance(out, ChunkedFiles) else out.write("".join(lines))
            lines.clear()
    out.write("".join(lines), len(lines)) if isinstance(out, ChunkedFiles) else out.write("".join(lines))
    return n


class ChunkedFiles:
    """N-Quads output cut into files of about ``lines_per_file`` lines in
    ``folder``: Oxigraph's bulk loader holds about 1 KB per quad of one call in
    memory, so loading bounded chunks keeps memory flat whatever the input size.
    """

    def __init__(self, folder: Path, lines_per_file: int = 300_000):
        self.folder = Path(folder)
        self.lines_per_file = lines_per_file
        self.paths: list[Path] = []
        self._file: IO[str] | None = None
        self._lines = 0

    def write(self, text: str, lines: int) -> None:
        if self._file is None or self._lines >= self.lines_per_file:
            self.close()
            path = self.folder / f"part-{len(self.paths):05d}.nq"
            self.paths.append(path)
            self._file = path.open("w", encoding="utf-8")
            self._lines = 0
        self._file.write(text)
        self._lines += lines

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
