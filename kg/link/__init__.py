"""Links to external scholarly graphs (Wikidata, OpenAlex, dblp, ORCID,
Crossref/DOI): by identifiers first (:func:`kg.link.run.identifier_links`),
then by careful matching (:mod:`kg.link.matcher`), recorded as SSSOM mapping
records (:mod:`kg.link.sssom`) in a links graph per run."""
