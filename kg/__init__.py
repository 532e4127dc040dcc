"""kg: build a schema.org + Dublin Core knowledge graph of scholarly works,
store it in Oxigraph, serve it over the SPARQL 1.1 Protocol and export it."""

__version__ = "0.1.0"
