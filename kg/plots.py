"""Pictures of the dataset statistics (:func:`kg.stats.dataset_stats`), drawn
with matplotlib (object API, Agg: no display, thread-safe per figure) and
networkx for the co-authorship network layout.

Panels: ``years`` (works per year), ``people`` (the most prolific people),
``network`` (co-authorship among the top people), ``graphs`` (triples per
named graph). Output is PNG, SVG or PDF; SVG is written without a date and
with fixed ids, so the same statistics give the same file.
"""
from __future__ import annotations

from typing import IO

PANELS = ("years", "people", "network", "graphs")
IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
_COLOR = "#3465a4"


def _short(text: str, n: int = 38) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])


def _years(ax, stats: dict) -> None:
    ax.set_title("Works per year")
    data = stats["works_per_year"]
    if not data:
        _empty(ax, f"no publication dates in the data\n({stats['works']} works without a date)")
        return
    years = [y for y, _ in data]
    ax.bar(years, [n for _, n in data], color=_COLOR)
    ax.set_ylabel("works")
    ax.yaxis.get_major_locator().set_params(integer=True)
    if len(years) > 12:
        ax.tick_params(axis="x", labelrotation=90)
    if stats.get("works_without_date"):
        ax.set_xlabel(f"{stats['works_without_date']} works have no date")


def _people(ax, stats: dict) -> None:
    people = stats["top_people"]
    ax.set_title(f"The {len(people)} most prolific people")
    if not people:
        _empty(ax, "no authors in the data")
        return
    names = [_short(p["name"], 28) for p in reversed(people)]
    ax.barh(names, [p["works"] for p in reversed(people)], color=_COLOR)
    ax.set_xlabel("works")
    ax.xaxis.get_major_locator().set_params(integer=True)


def _network(ax, stats: dict) -> None:
    import networkx as nx

    net = stats["network"]
    ax.set_title(f"Co-authorship among the top {len(net['nodes'])} people")
    ax.set_axis_off()
    if not net["nodes"]:
        _empty(ax, "no authors in the data")
        return
    g = nx.Graph()
    for p in net["nodes"]:
        g.add_node(p["iri"], name=p["name"], works=p["works"])
    for e in net["edges"]:
        g.add_edge(e["source"], e["target"], works=e["works"])
    # A circle with each group of co-authors side by side: every name stays
    # readable (a spring layout piles up the cliques of one paper).
    order = [n for comp in sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
             for n in sorted(comp, key=list(g).index)]
    pos = nx.circular_layout(order)
    sizes = [120 + 80 * g.nodes[n]["works"] for n in g]
    widths = [0.8 + 1.2 * g.edges[e]["works"] for e in g.edges]
    nx.draw_networkx_edges(g, pos, ax=ax, width=widths, edge_color="#999")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=sizes, node_color=_COLOR)
    for n, (x, y) in pos.items():
        ax.text(x * 1.08, y * 1.08, _short(g.nodes[n]["name"], 24), fontsize=7,
                ha="left" if x >= 0 else "right", va="center")
    ax.set_xlim(-2.0, 2.0)
    ax.set_ylim(-1.2, 1.2)


def _graphs(ax, stats: dict) -> None:
    graphs = stats["graphs"]
    ax.set_title("Triples per named graph")
    if not graphs:
        _empty(ax, "no named graphs")
        return
    labels = [_short(g["title"] or g["iri"].rstrip("/").rsplit("/", 1)[-1], 28) for g in reversed(graphs)]
    ax.barh(labels, [g["triples"] for g in reversed(graphs)], color=_COLOR)
    ax.set_xlabel("triples")


_DRAW = {"years": _years, "people": _people, "network": _network, "graphs": _graphs}


def figure(stats: dict, panels: tuple[str, ...] = PANELS):
    """A matplotlib ``Figure`` with ``panels`` (two columns when more than one).

    :raises ValueError: an unknown panel name.
    """
    from matplotlib.figure import Figure

    for p in panels:
        if p not in _DRAW:
            raise ValueError(f"unknown panel {p!r}; use one of: {', '.join(PANELS)}")
    cols = 1 if len(panels) == 1 else 2
    rows = (len(panels) + cols - 1) // cols
    fig = Figure(figsize=(6.4 * cols, 4.8 * rows), layout="constrained")
    for i, p in enumerate(panels):
        _DRAW[p](fig.add_subplot(rows, cols, i + 1), stats)
    return fig


def render(stats: dict, out: str | IO[bytes], fmt: str | None = None,
           panels: tuple[str, ...] = PANELS) -> None:
    """Draw ``panels`` of ``stats`` and write the picture to ``out`` (a path or
    a binary file), as ``fmt`` (png, svg or pdf; default: the path's
    extension, else png).

    :raises ValueError: unknown format or panel.
    """
    import matplotlib

    if fmt is None:
        fmt = str(out).rsplit(".", 1)[-1].lower() if isinstance(out, str) and "." in str(out) else "png"
    if fmt not in IMAGE_TYPES:
        raise ValueError(f"cannot draw {fmt!r} pictures; use one of: {', '.join(IMAGE_TYPES)}")
    fig = figure(stats, panels)
    metadata = {"Date": None} if fmt in ("svg", "pdf") else {}
    with matplotlib.rc_context({"svg.hashsalt": "kg", "svg.fonttype": "none"}):
        fig.savefig(out, format=fmt, dpi=100, metadata=metadata)
