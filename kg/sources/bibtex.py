"""Reader for BibTeX files (bibtexparser 2, LaTeX decoded with pylatexenc).

Names are split by BibTeX's rules (``First von Last``, ``von Last, First``,
``von Last, Jr, First``); the family name keeps its particle (``van de
Meent``, ``Van den Broeck``). A suffix read as the last name in the
``First Last Jr`` form (``Hal Daum{\\'e} III``) is moved back to a suffix.
``and others`` marks the author list as truncated. A braced author
(``{Google Brain}``) is one unsplit name: an organisation when it reads like
one.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser.middlewares.names import InvalidNameError, NameParts, parse_single_name_into_parts
from pylatexenc.latex2text import LatexNodes2Text

from kg.clean import is_organization, nfc
from kg.dates import from_parts
from kg.record import Person, ReadResult, Record, SourceError
from kg.sources.common import RecordProblems, add_id, person
from kg.sources.textfile import read_text
from kg.worktypes import schema_type

SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}
_latex = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
# bibtexparser logs each failed block itself; kg reports them with file and line.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)


def latex_to_text(value: str) -> str:
    """Unicode text of a LaTeX string (``{\\'e}`` -> ``é``, ``{\\ss}`` -> ``ß``,
    case-protection braces dropped), NFC."""
    if "\\" not in value and "{" not in value and "~" not in value:
        return nfc(value)
    try:
        return nfc(_latex.latex_to_text(value))
    except Exception:  # pylatexenc raises bare errors on broken markup; keep the text as written
        return nfc(value.replace("{", "").replace("}", ""))


def _name(parts) -> Person | None:
    first, von, last, jr = list(parts.first), list(parts.von), list(parts.last), list(parts.jr)
    if not first and not von and len(last) == 1 and last[0].startswith("{") and last[0].endswith("}"):
        literal = latex_to_text(last[0][1:-1])
        return person(name=literal, literal=True)
    if not jr and len(last) == 1 and last[0].lower() in SUFFIXES and len(first) >= 2:
        jr, last, first = last, [first[-1]], first[:-1]
    given = latex_to_text(" ".join(first)) or None
    family = latex_to_text(" ".join(von + last)) or None
    suffix = latex_to_text(" ".join(jr)) or None
    p = person(given=given, family=family, suffix=suffix)
    if p is not None and not given and family and is_organization(family):
        p.is_organization = True
    return p


def _split(raw: str, out: RecordProblems, line: int, key: str) -> NameParts:
    """BibTeX name parts of one author; a malformed name (``Sham,``) is
    repaired when a stray comma is all that is wrong, else kept whole."""
    try:
        return parse_single_name_into_parts(raw)
    except InvalidNameError:
        pass
    fixed = raw.strip().strip(",").strip()
    try:
        parts = parse_single_name_into_parts(fixed)
        out.warn(line, f"entry {key!r}: author {raw!r} read as {fixed!r}")
        return parts
    except InvalidNameError:
        out.warn(line, f"entry {key!r}: author {raw!r} cannot be split into name parts; kept as written")
        return NameParts(last=["{" + fixed + "}"])


def read_bibtex(path: str | Path) -> ReadResult:
    """Read a BibTeX file into records.

    :returns: records in file order; malformed entries and entries without a
        title are reported (with their line) and skipped.
    :raises SourceError: the file is missing, empty, binary, or has no entry.
    """
    path = Path(path)
    text, problems = read_text(path)
    src = str(path)
    out = RecordProblems(src)
    out.problems.extend(problems)
    library = bibtexparser.parse_string(text, append_middleware=[mw.SeparateCoAuthors()])
    for block in library.failed_blocks:
        err = getattr(block, "error", None)
        msg = (getattr(err, "abort_reason", None) or str(err or "") or "syntax error").strip()
        out.skip(block.start_line + 1, f"malformed BibTeX entry skipped: {msg}")
    result = ReadResult(problems=out.problems)
    for entry in library.entries:
        line = entry.start_line + 1
        fields = {f.key.lower(): f.value for f in entry.fields}
        title = latex_to_text(str(fields.get("title", "")))
        if not title:
            out.skip(line, f"entry {entry.key!r} skipped: no title")
            continue
        rec = Record(title=title, source=src, locator=f"line {line}", line=line,
                     work_type=schema_type(entry.entry_type))
        for raw in fields.get("author", []) if isinstance(fields.get("author"), list) else []:
            parts = _split(raw, out, line, entry.key)
            if not parts.first and not parts.von and parts.last == ["others"]:
                rec.authors_truncated = True
                continue
            p = _name(parts)
            if p is not None:
                rec.authors.append(p)
        if "year" in fields:
            date, msg = from_parts(latex_to_text(str(fields["year"])), fields.get("month") or None, fields.get("day") or None)
            rec.date = date
            if msg:
                out.warn(line, f"entry {entry.key!r}: {msg}")
        where = f"entry {entry.key!r}"
        add_id(rec.identifiers, "doi", fields.get("doi"), out, line, where)
        eprint = fields.get("eprint")
        prefix = str(fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
        if eprint and (prefix == "arxiv" or re.match(r"^\d{4}\.\d{4,5}", str(eprint))):
            add_id(rec.identifiers, "arxiv", eprint, out, line, where)
        url = str(fields.get("url") or "").strip()
        if url:
            rec.url = url
            if "arxiv.org/abs/" in url:
                add_id(rec.identifiers, "arxiv", url, out, line, where)
        venue = fields.get("booktitle") or fields.get("journal")
        if venue:
            rec.venue = latex_to_text(str(venue))
        if fields.get("abstract"):
            rec.abstract = latex_to_text(str(fields["abstract"]))
        if not rec.authors:
            out.warn(line, f"{where}: no author")
        result.records.append(rec)
    if not result.records:
        raise SourceError(f"{src}: no usable BibTeX entry" + (f" ({out.problems[0].message})" if out.problems else ""))
    return result
