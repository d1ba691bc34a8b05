"""Pictures of a regional plan or a partnership graph, as PNG or SVG bytes.

Drawing uses matplotlib's object API with the Agg canvas (no pyplot, no
window, no global backend switch) and returns the image bytes; the command
line writes them to a file. Nothing is downloaded: the map is a plain
longitude/latitude scatter with no basemap tiles. Layouts are seeded, and
the files carry no date, so the same data gives the same picture.
"""

from __future__ import annotations

import io
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from broker.errors import ProblemDetail, ValidationFailed
from broker.graph.plan import (
    Community,
    CoverageGap,
    ProposedLink,
    RegionalPlan,
    communities_of,
)
from broker.vocabulary import KIND_LABELS, KINDS, REGIONS, label

ImageFormat = Literal["png", "svg"]
Position = tuple[float, float]

KIND_COLOURS: Mapping[str, str] = {
    "hei": "#1f5fa8",
    "tso": "#e07b00",
    "school": "#2e8b57",
    "learner_group": "#8e44ad",
}
OTHER_COLOUR = "#9a9a9a"
PROPOSED_COLOUR = "#c0392b"
GAP_COLOUR = "#d62728"
# Up to this many organisations the network is laid out by force-directed
# springs; above it by communities (springs are quadratic in the nodes).
SPRING_LIMIT = 600
# In the packed layout, the largest communities (up to this many members, and
# this many communities) are laid out by springs inside their discs; the
# others are scattered, which costs nothing.
COMMUNITY_SPRING_LIMIT = 150
SPRING_COMMUNITIES = 40


def _parts(
    plan_or_graph: RegionalPlan | nx.Graph,
) -> tuple[nx.Graph, Sequence[ProposedLink], Sequence[CoverageGap], str]:
    if isinstance(plan_or_graph, RegionalPlan):
        plan = plan_or_graph
        return plan.graph, plan.proposed_links, plan.gaps, REGIONS[plan.region]
    return plan_or_graph, (), (), ""


def _check_format(image_format: str) -> None:
    """Refuse an image format other than PNG or SVG, naming the fix."""
    if image_format not in ("png", "svg"):
        problem = ProblemDetail(
            field="image_format",
            problem=f"image format {image_format!r} is not supported",
            fix="use 'png' or 'svg' (e.g. a file name ending .png or .svg)",
        )
        raise ValidationFailed([problem])


def _render(figure: Figure, image_format: ImageFormat) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    metadata = {"Software": None} if image_format == "png" else {"Date": None}
    with mpl.rc_context({"svg.hashsalt": "broker", "svg.fonttype": "path"}):
        figure.savefig(buffer, format=image_format, metadata=metadata)
    return buffer.getvalue()


def _disc(
    H: nx.Graph,
    members: Sequence[Hashable],
    radius: float,
    seed: int,
    *,
    springs: bool,
) -> dict[Hashable, Position]:
    """Positions of one community's members within a disc of ``radius``."""
    if len(members) == 1:
        return {members[0]: (0.0, 0.0)}
    if springs and len(members) <= COMMUNITY_SPRING_LIMIT:
        found = nx.spring_layout(
            H.subgraph(members), seed=seed, weight="weight", scale=radius
        )
        return {n: (float(x), float(y)) for n, (x, y) in found.items()}
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * math.pi, len(members))
    distance = radius * np.sqrt(rng.uniform(0, 1, len(members)))
    return {
        n: (float(d * math.cos(a)), float(d * math.sin(a)))
        for n, a, d in zip(members, angle, distance, strict=True)
    }


def _community_layout(
    G: nx.Graph, communities: Sequence[Community], seed: int
) -> dict[Hashable, Position]:
    """Pack communities as discs on a spiral; organisations alone in a block.

    A community's disc has an area proportional to its size; discs are laid
    largest first along a sunflower spiral whose radius grows with the area
    already placed, so they rarely overlap. Members of the largest
    communities are laid out by springs inside their discs when small
    enough, and scattered (seeded) otherwise. Organisations
    with no partners fill a grid to the right.
    """
    by_id = {str(n): n for n in G}
    groups = [c for c in communities if c.size > 1]
    alone = [by_id[c.members[0]] for c in communities if c.size == 1]
    golden = math.pi * (3 - math.sqrt(5))

    positions: dict[Hashable, Position] = {}
    placed = 0.0
    right = 0.0
    for i, community in enumerate(groups):
        radius = math.sqrt(community.size)
        spiral = 0.0 if i == 0 else 1.15 * math.sqrt(placed + community.size) + radius
        cx, cy = spiral * math.cos(i * golden), spiral * math.sin(i * golden)
        members = [by_id[m] for m in community.members]
        springs = i < SPRING_COMMUNITIES
        for n, (x, y) in _disc(G, members, radius, seed + i, springs=springs).items():
            positions[n] = (cx + x, cy + y)
        placed += community.size
        right = max(right, cx + radius)

    if alone:
        columns = max(1, math.ceil(math.sqrt(len(alone))))
        step = 1.5
        top = step * (columns - 1) / 2
        for i, n in enumerate(alone):
            row, column = divmod(i, columns)
            positions[n] = (right + 3 + step * column, top - step * row)
    return positions


def network_layout(
    G: nx.Graph, *, seed: int = 0, communities: Sequence[Community] | None = None
) -> dict[Hashable, Position]:
    """Return seeded 2-D positions for the organisations of a graph.

    Force-directed (Fruchterman and Reingold 1991, networkx's spring layout
    on tie ``weight``) up to :data:`SPRING_LIMIT` organisations, which is
    quadratic in their number; above it, Louvain communities (given, or
    computed with ``seed``) are packed as discs and organisations with no
    partners set apart in a grid. The same graph and seed give the same
    positions; an empty graph has none.
    """
    if G.number_of_nodes() == 0:
        return {}
    if G.number_of_nodes() <= SPRING_LIMIT:
        found = nx.spring_layout(G, seed=seed, weight="weight")
        return {n: (float(x), float(y)) for n, (x, y) in found.items()}
    if communities is None:
        communities = communities_of(G, seed=seed)
    return _community_layout(G, communities, seed)


def _node_size(n: int) -> float:
    return float(np.clip(600 / math.sqrt(max(n, 1)), 3, 60))


def _legend(ax: Axes, kinds: Iterable[str], extra: Sequence[Line2D] = ()) -> None:
    present = set(kinds)
    handles: list[Line2D] = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=KIND_COLOURS.get(kind, OTHER_COLOUR),
            label=KIND_LABELS[kind],
        )
        for kind in KINDS
        if kind in present
    ]
    handles.extend(extra)
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            frameon=False,
        )


def _scatter_kinds(
    ax: Axes, G: nx.Graph, positions: Mapping[Hashable, Position], size: float
) -> None:
    """Dots by kind: learners first, universities and TSOs larger, on top."""
    by_kind: dict[str, list[Hashable]] = {}
    for n in G:
        if n in positions:
            kind = G.nodes[n].get("kind")
            by_kind.setdefault(kind if kind in KINDS else "", []).append(n)
    for kind in ("", "learner_group", "school", "tso", "hei"):
        if kind not in by_kind:
            continue
        xy = np.array([positions[n] for n in by_kind[kind]])
        colour = KIND_COLOURS.get(kind, OTHER_COLOUR)
        big = size * (2.0 if kind in ("hei", "tso") else 1.0)
        ax.scatter(xy[:, 0], xy[:, 1], s=big, c=colour, linewidths=0, zorder=3)


def _links(
    ax: Axes,
    positions: Mapping[Hashable, Position],
    pairs: Iterable[tuple[Hashable, Hashable]],
    **style: Any,
) -> int:
    segments = [
        (positions[a], positions[b])
        for a, b in pairs
        if a in positions and b in positions
    ]
    if segments:
        ax.add_collection(LineCollection(segments, **style))
    return len(segments)


def draw_network(
    plan_or_graph: RegionalPlan | nx.Graph,
    *,
    image_format: ImageFormat = "png",
    seed: int = 0,
    title: str | None = None,
    size: tuple[float, float] = (10.0, 8.0),
    dpi: int = 120,
) -> bytes:
    """Draw the partnership network: organisations coloured by kind.

    Partnerships are grey lines (past ones fainter), a plan's proposed links
    red dashed lines (those with an end outside the region are not drawn,
    and the caption says how many), and a plan's top lead candidates are
    named. Positions come from :func:`network_layout` with ``seed``. An
    empty graph gives a picture that says so. Returns PNG or SVG bytes; any
    other ``image_format`` raises :class:`~broker.errors.ValidationFailed`.
    """
    _check_format(image_format)
    G, proposed, _, place = _parts(plan_or_graph)
    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_title(
        title
        or (f"{place}: partnerships and proposed links" if place else "Partnerships")
    )
    if G.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "no organisations to draw", ha="center", va="center")
        return _render(figure, image_format)

    communities = (
        plan_or_graph.communities if isinstance(plan_or_graph, RegionalPlan) else None
    )
    positions = network_layout(G, seed=seed, communities=communities)
    active = [(u, v) for u, v, s in G.edges(data="status") if s != "past"]
    past = [(u, v) for u, v, s in G.edges(data="status") if s == "past"]
    _links(ax, positions, active, colors="#7f7f7f", linewidths=0.6, alpha=0.5, zorder=1)
    _links(ax, positions, past, colors="#b0b0b0", linewidths=0.5, alpha=0.4, zorder=1)
    drawn = _links(
        ax,
        positions,
        ((link.a, link.b) for link in proposed),
        colors=PROPOSED_COLOUR,
        linewidths=1.4,
        linestyles="dashed",
        zorder=2,
    )
    _scatter_kinds(ax, G, positions, _node_size(G.number_of_nodes()))
    alone = [n for n in G if G.degree(n) == 0]
    if alone and G.number_of_nodes() > SPRING_LIMIT:
        x = min(positions[n][0] for n in alone)
        y = max(positions[n][1] for n in alone)
        ax.annotate(
            f"{len(alone)} organisations with no partners",
            (x, y),
            fontsize=8,
            xytext=(0, 8),
            textcoords="offset points",
        )

    if isinstance(plan_or_graph, RegionalPlan):
        for lead in plan_or_graph.lead_candidates[:5]:
            if lead.id in positions:
                x, y = positions[lead.id]
                ax.annotate(
                    lead.name,
                    (x, y),
                    fontsize=7,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
    extra = (
        [Line2D([], [], color=PROPOSED_COLOUR, linestyle="--", label="proposed link")]
        if proposed
        else []
    )
    _legend(ax, (k for _, k in G.nodes(data="kind")), extra)
    if len(proposed) > drawn:
        ax.text(
            0.01,
            0.01,
            f"{len(proposed) - drawn} proposed links to organisations outside the "
            "region not drawn",
            transform=ax.transAxes,
            fontsize=7,
        )
    ax.autoscale()
    return _render(figure, image_format)


def draw_map(
    plan_or_graph: RegionalPlan | nx.Graph,
    *,
    gaps: Sequence[CoverageGap] | None = None,
    image_format: ImageFormat = "png",
    title: str | None = None,
    size: tuple[float, float] = (10.0, 8.0),
    dpi: int = 120,
) -> bytes:
    """Draw the organisations on a longitude/latitude map, with the gaps.

    Each located organisation is a dot coloured by kind at (lon, lat), with
    the aspect ratio corrected for latitude (1 / cos of the mean latitude)
    and no basemap. Organisation gaps (a plan's, or ``gaps``) are red rings;
    target groups nobody in the region serves are listed beside the map;
    a plan's proposed links are red dashed lines. Organisations with no
    coordinates are left out and counted in the caption. A graph with no
    located organisation gives a picture that says so. Returns PNG or SVG.
    """
    _check_format(image_format)
    G, proposed, plan_gaps, place = _parts(plan_or_graph)
    shown_gaps = list(plan_gaps if gaps is None else gaps)
    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title(
        title or (f"{place}: organisations and gaps" if place else "Organisations")
    )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")

    positions: dict[Hashable, Position] = {
        n: (float(lon), float(lat))
        for n, lat, lon in (
            (n, d.get("lat"), d.get("lon")) for n, d in G.nodes(data=True)
        )
        if lat is not None and lon is not None
    }
    if not positions:
        ax.text(0.5, 0.5, "no organisations with coordinates", ha="center", va="center")
        ax.set_axis_off()
        return _render(figure, image_format)

    _links(
        ax, positions, G.edges(), colors="#b0b0b0", linewidths=0.4, alpha=0.4, zorder=1
    )
    _links(
        ax,
        positions,
        ((link.a, link.b) for link in proposed),
        colors=PROPOSED_COLOUR,
        linewidths=1.2,
        linestyles="dashed",
        zorder=2,
    )
    _scatter_kinds(ax, G, positions, _node_size(len(positions)))

    located = [g for g in shown_gaps if g.kind == "organisation" and g.located]
    extra: list[Line2D] = []
    if located:
        xy = np.array([(g.lon, g.lat) for g in located], dtype=float)
        ring = 4 * _node_size(len(positions)) + 20
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=ring,
            facecolors="none",
            edgecolors=GAP_COLOUR,
            linewidths=1.0,
            zorder=4,
        )
        extra.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="none",
                markeredgecolor=GAP_COLOUR,
                label="gap: nobody serves its target groups nearby",
            )
        )
    if proposed:
        extra.append(
            Line2D([], [], color=PROPOSED_COLOUR, linestyle="--", label="proposed link")
        )
    _legend(ax, (G.nodes[n].get("kind") for n in positions), extra)

    unserved = [g.target_groups[0] for g in shown_gaps if g.kind == "target_group"]
    if unserved:
        listed = "\n".join(label("target_groups", t) for t in unserved[:8])
        more = f"\nand {len(unserved) - 8} more" if len(unserved) > 8 else ""
        ax.text(
            1.02,
            0.0,
            f"nobody in the region serves:\n{listed}{more}",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=7,
            bbox={"facecolor": "white", "edgecolor": GAP_COLOUR, "alpha": 0.9},
        )
    missing = G.number_of_nodes() - len(positions)
    if missing:
        ax.text(
            0.01,
            0.01,
            f"{missing} organisations without coordinates not shown",
            transform=ax.transAxes,
            fontsize=7,
        )
    mean_lat = float(np.mean([lat for _, lat in positions.values()]))
    ax.set_aspect(1 / max(math.cos(math.radians(mean_lat)), 0.1))
    ax.margins(0.08)
    ax.autoscale()
    return _render(figure, image_format)


__all__ = ["KIND_COLOURS", "SPRING_LIMIT", "draw_map", "draw_network", "network_layout"]
