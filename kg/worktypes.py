"""One table from source work types to schema.org types (DESIGN.md §3).

Keys are lower-case types of BibTeX entries, CSL-JSON, Crossref and OpenAlex.
Anything not listed becomes ``schema:CreativeWork``.
"""
from __future__ import annotations

SCHEMA_TYPES: dict[str, str] = {
    # BibTeX
    "article": "ScholarlyArticle", "inproceedings": "ScholarlyArticle", "conference": "ScholarlyArticle",
    "book": "Book", "booklet": "Book", "incollection": "Chapter", "inbook": "Chapter",
    "phdthesis": "Thesis", "mastersthesis": "Thesis", "thesis": "Thesis",
    "techreport": "Report", "report": "Report", "unpublished": "ScholarlyArticle", "misc": "CreativeWork",
    "dataset": "Dataset", "online": "CreativeWork",
    # CSL-JSON
    "article-journal": "ScholarlyArticle", "paper-conference": "ScholarlyArticle", "chapter": "Chapter",
    "article-magazine": "ScholarlyArticle", "article-newspaper": "ScholarlyArticle", "manuscript": "ScholarlyArticle",
    # Crossref
    "journal-article": "ScholarlyArticle", "proceedings-article": "ScholarlyArticle", "posted-content": "ScholarlyArticle",
    "book-chapter": "Chapter", "monograph": "Book", "edited-book": "Book", "reference-book": "Book",
    "dissertation": "Thesis", "report-component": "Report",
    # OpenAlex
    "preprint": "ScholarlyArticle", "review": "ScholarlyArticle", "letter": "ScholarlyArticle",
    "editorial": "ScholarlyArticle", "erratum": "ScholarlyArticle",
    # paperoni venue types
    "journal": "ScholarlyArticle", "workshop": "ScholarlyArticle",
}


def schema_type(source_type: str | None, default: str = "ScholarlyArticle") -> str:
    """The schema.org type name for a source's work type (``CreativeWork`` for
    an unknown one, ``default`` when the source gives none)."""
    if not source_type:
        return default
    return SCHEMA_TYPES.get(source_type.strip().lower(), "CreativeWork")
