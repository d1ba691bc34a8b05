"""The partnership graph as GraphML and node-link JSON, and back.

GraphML is what Gephi, Cytoscape, yEd and igraph open. It holds only
scalars, so on the way out tuples of tags are joined with ``";"`` and
``None`` (an unknown region, year or coordinate) is dropped; the names of the
joined attributes travel in the graph attribute ``list_attributes`` so that
:func:`from_graphml` can split them back. Node ids come back as strings.

Node-link JSON is the ``{"nodes": [...], "edges": [...]}`` shape of
:func:`networkx.node_link_data` (networkx 3.4 and later, ``edges="edges"``)
and of d3-style viewers, with lists for tuples and ``null`` for None.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx
import numpy as np

from broker.graph.build import LIST_FIELDS, NODE_FIELDS

LIST_SEPARATOR = ";"
_LIST_KEY = "list_attributes"
_SEQUENCES = (tuple, list, set, frozenset)


def _scalar(value: Any) -> Any:
    """Return a plain Python value for numpy scalars, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _flatten(data: Mapping[str, Any], lists: set[str]) -> dict[str, Any]:
    """Return GraphML-safe attributes: lists joined, None dropped."""
    flat: dict[str, Any] = {}
    for key, raw in data.items():
        kind = type(raw)
        if kind is str or kind is int or kind is bool or (kind is float and raw == raw):
            flat[str(key)] = raw
            continue
        if isinstance(raw, _SEQUENCES):
            lists.add(str(key))
            items = sorted(raw, key=str) if isinstance(raw, set | frozenset) else raw
            flat[str(key)] = LIST_SEPARATOR.join(str(item) for item in items)
            continue
        value = _scalar(raw)
        if value is None:
            continue
        if not isinstance(value, bool | int | float | str):
            value = str(value)
        flat[str(key)] = value
    return flat


def _graphml_type(types: set[type]) -> str:
    """The GraphML attr.type that holds every value seen for one key."""
    if types <= {bool}:
        return "boolean"
    if types <= {int}:
        return "long"
    if types <= {int, float}:
        return "double"
    return "string"


def _graphml_text(value: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        return repr(float(value))
    text = str(value)
    if "&" in text or "<" in text or ">" in text:
        return escape(text)
    return text


def to_graphml(G: nx.Graph) -> str:
    """Return the graph as a GraphML document (a string, nothing written).

    Tuples, lists and sets become ``";"``-joined strings, None and NaN are
    dropped, other non-scalar values become their ``str``. Each attribute
    gets one GraphML key whose type holds all its values (``long``,
    ``double``, ``boolean`` or ``string``), as Gephi expects. An empty graph
    gives a valid document with no nodes. Written directly rather than
    through :func:`networkx.write_graphml`, which takes tens of seconds on a
    national graph.
    """
    lists: set[str] = set()
    nodes = [(n, _flatten(data, lists)) for n, data in G.nodes(data=True)]
    edges = [(u, v, _flatten(data, lists)) for u, v, data in G.edges(data=True)]
    graph = _flatten({k: v for k, v in G.graph.items() if k != _LIST_KEY}, set())
    graph[_LIST_KEY] = LIST_SEPARATOR.join(sorted(lists))

    # One key per (domain, name), typed by every value it takes.
    seen: dict[tuple[str, str], set[type]] = {}
    for domain, rows in (
        ("graph", [graph]),
        ("node", [data for _, data in nodes]),
        ("edge", [data for _, _, data in edges]),
    ):
        for data in rows:
            for name, value in data.items():
                seen.setdefault((domain, name), set()).add(type(value))
    keys = {
        found: (f"d{i}", _graphml_type(types))
        for i, (found, types) in enumerate(seen.items())
    }

    def data_lines(domain: str, data: Mapping[str, Any], indent: str) -> list[str]:
        lines = []
        for name, value in data.items():
            key, kind = keys[(domain, name)]
            lines.append(
                f'{indent}<data key="{key}">{_graphml_text(value, kind)}</data>'
            )
        return lines

    lines = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    for (domain, name), (key, kind) in keys.items():
        lines.append(
            f'  <key id="{key}" for="{domain}" attr.name={quoteattr(name)} '
            f'attr.type="{kind}" />'
        )
    direction = "directed" if G.is_directed() else "undirected"
    lines.append(f'  <graph edgedefault="{direction}">')
    lines.extend(data_lines("graph", graph, "    "))
    for n, data in nodes:
        lines.append(f"    <node id={quoteattr(str(n))}>")
        lines.extend(data_lines("node", data, "      "))
        lines.append("    </node>")
    for u, v, data in edges:
        source, target = quoteattr(str(u)), quoteattr(str(v))
        lines.append(f"    <edge source={source} target={target}>")
        lines.extend(data_lines("edge", data, "      "))
        lines.append("    </edge>")
    lines.extend(["  </graph>", "</graphml>", ""])
    return "\n".join(lines)


def _split(value: Any) -> tuple[str, ...]:
    if not isinstance(value, str) or value == "":
        return ()
    return tuple(value.split(LIST_SEPARATOR))


def _restore(data: dict[str, Any], lists: Iterable[str], fields: Iterable[str]) -> None:
    """Split joined lists back into tuples; give dropped known fields None."""
    for key in lists:
        if key in data:
            data[key] = _split(data[key])
    for key in fields:
        data.setdefault(key, None)


def from_graphml(text: str) -> nx.Graph:
    """Return the graph that :func:`to_graphml` wrote, with tuples split back.

    Node ids are strings. The attributes named in ``list_attributes`` (the
    profile tag lists when that is missing, e.g. for a file written by
    another tool) become tuples again; node fields of :func:`build_graph`
    that were dropped because they were None come back as None, and tag
    lists that were missing come back as empty tuples.
    """
    # TODO: networkx's parser takes about 20 s on a national graph of 100,000
    # organisations; write a streaming reader if the API ever takes GraphML in.
    G = nx.parse_graphml(text, node_type=str)
    G.graph.pop("node_default", None)
    G.graph.pop("edge_default", None)
    lists = _split(G.graph.pop(_LIST_KEY, LIST_SEPARATOR.join(LIST_FIELDS)))
    for _, data in G.nodes(data=True):
        _restore(data, lists, NODE_FIELDS)
        for key in LIST_FIELDS:
            data.setdefault(key, ())
    for _, _, data in G.edges(data=True):
        _restore(data, lists, ("since", "until"))
    return G


_PLAIN = frozenset({str, int, bool, type(None)})


def _json_ready(value: Any) -> Any:
    """Return a value json.dumps takes: lists for tuples, None for NaN."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return None if value != value else value
    if kind is tuple and all(type(item) is str for item in value):
        return list(value)
    if isinstance(value, _SEQUENCES):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_json_ready(item) for item in items]
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    value = _scalar(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def to_node_link(G: nx.Graph) -> dict[str, Any]:
    """Return the graph as node-link data, ready for ``json.dumps``.

    The shape is ``{"directed": false, "multigraph": false, "graph": {...},
    "nodes": [{"id": ..., ...}], "edges": [{"source": ..., "target": ...,
    ...}]}``, which :func:`networkx.node_link_graph` reads back. Tuples become
    lists, None and NaN become ``null``.
    """
    return {
        "directed": G.is_directed(),
        "multigraph": G.is_multigraph(),
        "graph": _json_ready(G.graph),
        "nodes": [{**_json_ready(data), "id": n} for n, data in G.nodes(data=True)],
        "edges": [
            {**_json_ready(data), "source": u, "target": v}
            for u, v, data in G.edges(data=True)
        ],
    }


def from_node_link(data: Mapping[str, Any]) -> nx.Graph:
    """Return the graph of :func:`to_node_link` data, with tag lists as tuples."""
    G = nx.Graph()
    G.graph.update(data.get("graph", {}))
    for node in data.get("nodes", []):
        attributes = {k: v for k, v in node.items() if k != "id"}
        for key in LIST_FIELDS:
            if isinstance(attributes.get(key), list):
                attributes[key] = tuple(attributes[key])
        G.add_node(node["id"], **attributes)
    for edge in data.get("edges", []):
        attributes = {k: v for k, v in edge.items() if k not in ("source", "target")}
        G.add_edge(edge["source"], edge["target"], **attributes)
    return G


__all__ = ["from_graphml", "from_node_link", "to_graphml", "to_node_link"]
