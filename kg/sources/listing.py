"""Reader for a scraped publication listing (plain text, DESIGN.md §2).

Layout: an optional header line (``Publications``), then per record one title
line, one line per author in byline order, and optionally one long abstract
line. Records without an abstract are followed directly by the next title.

Each line is classified from its own shape and its neighbours:

* an *abstract* is a long prose line (many words and sentence punctuation);
* a *name* has 1–5 name-like tokens (capitalised words, initials, particles)
  and no sentence punctuation or digits;
* a *title* is anything else, and the first line after an abstract (or at the
  start) is always a title.

Doubts are reported as :class:`~kg.record.Problem` warnings with the line number.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from kg.clean import NAME_PARTICLES, is_organization, nfc, split_name
from kg.record import Person, Problem, ReadResult, Record, SourceError
from kg.sources.textfile import read_text

DEFAULT_SEE_MORE_LABELS = ("voir plus", "see more")
DEFAULT_HEADERS = ("Publications",)

# Words common in titles and rare as names: a name-like line made of them is doubtful.
_TITLE_WORDS = frozenset("""
learning model models network networks neural deep optimization data analysis approach
approaches method methods system systems towards using based efficient robust graph graphs
language large reinforcement training inference estimation generative algorithm algorithms
theory review study survey benchmark representation representations detection prediction
control framework scaling transformer transformers adversarial causal bayesian stochastic
introduction preface foreword editorial conclusion conclusions overview tutorial keynote
erratum errata corrigendum appendix summary abstract index perspective commentary
""".split())
# English function words that Title Case capitalises ("Attention Is All You Need")
# and that are not also common given or family names (unlike An, Do, Can, Will, Long).
_FUNCTION_WORDS = frozenset("""
is are was were be been all you your we our us my the of for and or with from into onto via
what how why when where which who whose not no does did this that these those their its
their there here than then beyond without through toward towards about against between
under over upon across after before during using need needs makes make
""".split())
_SUFFIX = re.compile(r",?\s+(?:Jr\.?|Sr\.?|II|III|IV)$")
_NAME_TOKEN = re.compile(r"^(?:[^\W\d_][.]?|[^\W\d_]\.(?:[^\W\d_]\.)+|[^\W\d_][^\W\d_'’.]*(?:['’][^\W\d_]+)*\.?)$")
_SENTENCE_PUNCT = re.compile(r"[:;?!,()\[\]{}\"“”«»/\\|@#%&*+=<>0-9]")


@dataclass
class ListingSettings:
    """Options of the listing reader.

    ``see_more_labels``: the text of the site's "see more" button, left after an
    ellipsis inside abstracts (``… (voir plus)``); removed wherever found.
    ``headers``: header lines to ignore at the top of the file.
    """

    see_more_labels: tuple[str, ...] = DEFAULT_SEE_MORE_LABELS
    headers: tuple[str, ...] = DEFAULT_HEADERS
    abstract_min_words: int = 25


def _see_more_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    alts = "|".join(re.escape(lbl) for lbl in labels)
    # "s… (voir plus)cales" -> "scales"; "recent… (voir plus) success" -> "recent success"
    return re.compile(rf"(?:\u2026|\.\.\.) ?\((?:{alts})\)", re.IGNORECASE)


def is_abstract_like(line: str, min_words: int = 25) -> bool:
    """True for a long prose line: at least ``min_words`` words and a sentence
    break, or very long (400+ characters)."""
    words = line.split()
    if len(line) >= 400:
        return True
    return len(words) >= min_words and bool(re.search(r"[.!?](\s|$)", line))


def name_tokens_ok(line: str) -> bool:
    """True when ``line`` has the shape of a person's name: 1–5 name tokens
    (particles such as ``van``, ``de``, ``los`` not counted), each a
    capitalised word (hyphen parts capitalised too: ``Jean-Christophe``), an
    initial (``J``, ``J.``) or a particle; an optional suffix (``, Jr.``,
    ``III``); no sentence punctuation or digits. Scripts without letter case
    (``李飞飞``) count as name-like when short."""
    line = _SUFFIX.sub("", line)
    tokens = line.split()
    if not tokens or _SENTENCE_PUNCT.search(line):
        return False
    if all(_caseless(t) for t in tokens):
        return len(line) <= 12 and len(tokens) <= 3
    names = 0
    for i, tok in enumerate(tokens):
        if tok.lower() in NAME_PARTICLES and i < len(tokens) - 1:
            continue
        names += 1
        for part in tok.split("-"):
            if not part or not _NAME_TOKEN.match(part) or not (part[0].isupper() or _caseless(part)):
                return False
    return 1 <= names <= 5


def _caseless(token: str) -> bool:
    """A word of a script without letter case (Han, Hangul, Arabic, ...)."""
    return all(c.isalpha() and not c.isupper() and not c.islower() for c in token)


def function_words(line: str) -> list[str]:
    """English function words of ``line`` other than its first word (Title
    Case keeps ``Is``, ``All``, ``You`` capitalised)."""
    return [t for t in line.split()[1:] if t.lower() in _FUNCTION_WORDS]


def _person(line: str) -> Person:
    line = sys.intern(line)  # one string per name however often it is printed
    if is_organization(line):
        return Person(name=line, is_organization=True)
    given, family = split_name(_SUFFIX.sub("", line))
    return Person(name=line, given=given and sys.intern(given), family=family and sys.intern(family))


def title_words(line: str) -> list[str]:
    """Words of ``line`` that are common title words (see ``_TITLE_WORDS``)."""
    return [t for t in line.split() if t.lower().strip(".") in _TITLE_WORDS]


def _is_truncated(abstract: str) -> bool:
    return not re.search(r"[.!?)\]\"”’»]$", abstract) or abstract.endswith("…")


def read_listing(path: str | Path, settings: ListingSettings | None = None) -> ReadResult:
    """Read a publication listing text file into records.

    :param path: the listing file (UTF-8; other encodings are read with a warning).
    :param settings: reader options (see :class:`ListingSettings`).
    :returns: :class:`ReadResult` with records in file order; records
        without an author are skipped and reported.
    :raises SourceError: the file is missing, a directory, empty, binary, or
        holds no record (only a header).
    """
    settings = settings or ListingSettings()
    path = Path(path)
    text, problems = read_text(path)
    see_more = _see_more_pattern(settings.see_more_labels)
    result = ReadResult(problems=list(problems))
    src = str(path)

    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [(n, nfc(see_more.sub("", raw))) for n, raw in enumerate(raw_lines, start=1)]
    lines = [(n, ln) for n, ln in lines if ln]
    if lines and lines[0][1] in settings.headers:
        lines = lines[1:]
    if not lines:
        raise SourceError(f"{src}: no records (the file holds only a header)")

    current: Record | None = None
    state = "title"  # what the next line should be: title | first-author | author

    def close() -> None:
        nonlocal current
        if current is None:
            return
        if not current.authors:
            result.problems.append(Problem(src, current.line, f"record skipped: title {current.title!r} has no author", "skipped"))
        else:
            result.records.append(current)
        current = None

    for n, line in lines:
        if is_abstract_like(line, settings.abstract_min_words):
            if current is None:
                result.problems.append(Problem(src, n, "line skipped: an abstract with no title before it", "skipped"))
            else:
                current.abstract = line
                current.abstract_truncated = _is_truncated(line)
                if current.abstract_truncated:
                    result.problems.append(Problem(src, n, "abstract looks truncated (no closing punctuation); kept and flagged"))
                close()
            state = "title"
            continue
        looks_like_name = name_tokens_ok(line)
        fwords = function_words(line) if looks_like_name else []
        if state == "author" and fwords:
            # "Attention Is All You Need": name-shaped, but English function words make it a title
            result.problems.append(Problem(src, n, f"read as a title, though it has the shape of a name "
                                                   f"(words {', '.join(fwords)}): {line!r}"))
            close()
            current = Record(title=line, source=src, locator=f"line {n}", line=n)
            state = "first-author"
            continue
        if state == "title":
            if looks_like_name:
                result.problems.append(Problem(src, n, f"read as a title by position, though it looks like a name: {line!r}"))
            current = Record(title=line, source=src, locator=f"line {n}", line=n)
            state = "first-author"
            continue
        if looks_like_name:
            hits = title_words(line)
            if state == "author" and hits and len(hits) * 2 >= len(line.split()):
                result.problems.append(Problem(src, n, f"read as a title, though it has the shape of a name (title words: {', '.join(hits)}): {line!r}"))
                close()
                current = Record(title=line, source=src, locator=f"line {n}", line=n)
                state = "first-author"
                continue
            if hits:
                result.problems.append(Problem(src, n, f"read as an author, though it has title words ({', '.join(hits)}): {line!r}"))
            assert current is not None
            if fwords:
                result.problems.append(Problem(src, n, f"read as an author by position, though it has the words "
                                                       f"{', '.join(fwords)}: {line!r}"))
            current.authors.append(_person(line))
            state = "author"
            continue
        # Not a name and not an abstract: a new title.
        close()
        current = Record(title=line, source=src, locator=f"line {n}", line=n)
        state = "first-author"
    close()
    if not result.records:
        raise SourceError(f"{src}: no usable record (" + "; ".join(str(p.message) for p in result.problems[:3]) + ")")
    return result
