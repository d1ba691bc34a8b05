"""The ``broker`` command line: Rich tables for people, ``--json`` for tools."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from broker.errors import BrokerError, ValidationFailed
from broker.settings import Settings, get_settings

app = typer.Typer(
    help="Find and explain partnerships that widen access to HE STEM.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys_app = typer.Typer(help="Manage API keys for writes.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: BROKER_DATABASE_URL, else sqlite:///broker.db).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]

F = TypeVar("F", bound=Callable[..., Any])


def _settings(db: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": db}) if db else settings


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
        force=True,
    )


@contextmanager
def _broker(db: str | None) -> Iterator[Any]:
    """Open the broker for one command; turn domain errors into exit codes."""
    from broker.services.context import Broker

    settings = _settings(db)
    _configure_logging(settings.log_level)
    try:
        broker = Broker(settings)
        yield broker
    except ValidationFailed as error:
        err.print(
            f"[bold red]Rejected:[/] {len(error.problems)} problem(s); "
            "nothing was written."
        )
        for problem in error.problems:
            err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except BrokerError as error:
        err.print(f"[bold red]{error.title}:[/] ", end="")
        err.print(str(error), markup=False, highlight=False)
        raise typer.Exit(1) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="JSON or CSV import files.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import profiles and partnerships as one transaction; print counts."""
    from broker.services.profiles import load_files

    with _broker(db) as broker:
        report = load_files(broker, paths, progress=not as_json)
    if as_json:
        _print_json(report.as_dict())
        return
    table = Table("", "created", "updated", "unchanged", title="Imported")
    for name, counts in report.as_dict().items():
        table.add_row(
            name, *(str(counts[c]) for c in ("created", "updated", "unchanged"))
        )
    out.print(table)


@app.command()
def orgs(
    organisation_id: Annotated[
        str | None, typer.Argument(help="Show one organisation in full.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="hei, tso, school or learner_group.")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="A region tag, e.g. london.")
    ] = None,
    target_group: Annotated[
        str | None, typer.Option(help="A target group tag.")
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Text in name, aims or town.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List organisations with filters, or show one."""
    from broker.services.profiles import find_organisation, search_organisations

    with _broker(db) as broker:
        if organisation_id:
            organisation = find_organisation(broker, organisation_id)
            if as_json:
                _print_json(organisation.public())
                return
            table = Table("field", "value", title=organisation.name, show_header=False)
            for field, value in organisation.public().items():
                shown = "; ".join(value) if isinstance(value, list) else value
                table.add_row(field, "" if shown is None else str(shown))
            out.print(table)
            return
        found, total = search_organisations(
            broker,
            kind=kind,
            region=region,
            target_group=target_group,
            text=search,
            limit=limit,
        )
    if as_json:
        _print_json({"total": total, "organisations": [o.public() for o in found]})
        return
    table = Table(
        "id", "name", "kind", "region", "target groups", title=f"{total} organisations"
    )
    for o in found:
        table.add_row(o.id, o.name, o.kind, o.region or "", ", ".join(o.target_groups))
    out.print(table)
    if total > len(found):
        out.print(f"Showing {len(found)} of {total}; use --limit or filters.")


def _bar(value: float, width: int = 10) -> str:
    filled = round(max(0.0, min(1.0, value)) * width)
    return "█" * filled + "·" * (width - filled)


@app.command()
def suggest(
    organisation_id: Annotated[
        str, typer.Argument(metavar="ID", help="The organisation.")
    ],
    kind: Annotated[str | None, typer.Option(help="Only this kind of partner.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many.")] = 10,
    region: Annotated[
        str | None, typer.Option(help="Only partners in this region.")
    ] = None,
    max_km: Annotated[
        float | None, typer.Option(min=0, help="Only partners this near.")
    ] = None,
    target_group: Annotated[
        str | None, typer.Option(help="Only partners serving this target group.")
    ] = None,
    include_partners: Annotated[
        bool, typer.Option(help="Also list existing partners (marked).")
    ] = False,
    diversity: Annotated[
        float,
        typer.Option(min=0, max=1, help="0: pure score; higher: more varied list."),
    ] = 0.0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ranked partnership suggestions with score components and reasons."""
    from broker.services.suggestions import suggest as rank

    with _broker(db) as broker:
        found = rank(
            broker,
            organisation_id,
            kind=kind,
            limit=limit,
            region=region,
            max_km=max_km,
            target_group=target_group,
            include_partners=include_partners,
            diversity=diversity,
        )
    if as_json:
        _print_json(found)
        return
    table = Table(
        "#",
        "suggestion",
        "score",
        "km",
        "why",
        title=f"Suggestions for {organisation_id}",
    )
    for rank_number, item in enumerate(found["suggestions"], start=1):
        distance = "" if item["distance_km"] is None else f"{item['distance_km']:.0f}"
        partner = " (partner)" if item.get("is_partner") else ""
        table.add_row(
            str(rank_number),
            f"{item['name']}{partner}\n[dim]{item['id']} · {item['kind']}[/]",
            f"{item['score']:.2f}",
            distance,
            "\n".join(item["reasons"][:4]),
        )
    out.print(table)
    if not found["suggestions"]:
        out.print("No suggestions: loosen the filters, or add profiles.")


@app.command()
def explain(
    a: Annotated[str, typer.Argument(help="The organisation asking.")],
    b: Annotated[str, typer.Argument(help="The possible partner.")],
    limit: Annotated[
        int, typer.Option(min=1, help="The list length to explain against.")
    ] = 10,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The full score breakdown for one pair, and why B is or is not in A's list."""
    from broker.services.suggestions import explain as explain_pair

    with _broker(db) as broker:
        found = explain_pair(broker, a, b, limit=limit)
    if as_json:
        _print_json(found)
        return
    out.print(_explanation_table(found))
    for line in found.get("reasons", []):
        out.print(f"  • {line}", markup=False, highlight=False)
    score = f"Reciprocal score {found['score']:.2f}: "
    out.print(score + found["why"], markup=False, highlight=False)


def _explanation_table(found: dict[str, Any]) -> Table:
    table = Table(
        "component", "A→B", "", "B→A", "weight", title=f"{found['a']} and {found['b']}"
    )
    forward = found.get("forward", {})
    backward = found.get("backward", {})
    weights = found.get("weights", {})
    for name, value in forward.items():
        back = backward.get(name, 0.0)
        table.add_row(
            name,
            f"{value:.2f}",
            _bar(value),
            f"{back:.2f}",
            f"{weights.get(name, 0):.2f}",
        )
    return table


@app.command()
def brokers(
    target_group: Annotated[str | None, typer.Option(help="Learners to reach.")] = None,
    region: Annotated[str | None, typer.Option(help="A region tag.")] = None,
    near: Annotated[str | None, typer.Option(help="A UK town to be near.")] = None,
    max_km: Annotated[
        float | None, typer.Option(min=0, help="How near, with --near.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """TSOs ranked as community brokers, with the reasons."""
    from broker.services.regions import rank_brokers

    with _broker(db) as broker:
        found = rank_brokers(
            broker,
            target_group=target_group,
            region=region,
            near=near,
            max_km=max_km,
            limit=limit,
        )
    if as_json:
        _print_json(found)
        return
    table = Table("#", "broker", "score", "why", title="Community brokers")
    for number, item in enumerate(found["brokers"], start=1):
        table.add_row(
            str(number),
            f"{item['name']}\n[dim]{item['id']}[/]",
            f"{item['score']:.2f}",
            "\n".join(item["reasons"][:4]),
        )
    out.print(table)
    if not found["brokers"]:
        out.print("No TSO matches these filters.")


@app.command()
def plan(
    region: Annotated[str, typer.Argument(help="A region tag, e.g. yorkshire-humber.")],
    picture: Annotated[
        Path | None, typer.Option(help="Write the network picture here (.png or .svg).")
    ] = None,
    map_path: Annotated[
        Path | None,
        typer.Option("--map", help="Write the map of gaps here (.png or .svg)."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """A regional hub plan: communities, lead candidates, brokers, links and gaps."""
    from broker.graph.draw import draw_map, draw_network
    from broker.services.regions import build_plan

    with _broker(db) as broker:
        found = build_plan(broker, region)
    for path, draw in ((picture, draw_network), (map_path, draw_map)):
        if path is not None:
            path.write_bytes(
                draw(
                    found,
                    image_format="svg" if path.suffix.lower() == ".svg" else "png",
                )
            )
    if as_json:
        _print_json(found.as_dict())
        return
    _print_plan(found.as_dict())


def _print_plan(plan: dict[str, Any]) -> None:
    out.rule(f"Hub plan: {plan['region']}")
    for line in plan.get("notes", []):
        out.print(f"[dim]{line}[/]")
    sections: list[tuple[str, str, Callable[[dict[str, Any]], str]]] = [
        (
            "communities",
            "Communities",
            lambda c: f"{c['label']} ({c['size']} organisations)",
        ),
        (
            "lead_candidates",
            "Who could lead",
            lambda c: f"{c['name']}: {'; '.join(c['reasons'][:2])}",
        ),
        (
            "brokers",
            "Community brokers",
            lambda c: f"{c['name']}: {'; '.join(c['reasons'][:2])}",
        ),
        (
            "proposed_links",
            "Proposed links",
            lambda c: f"{c['a']} – {c['b']}: {'; '.join(c['reasons'][:2])}",
        ),
        ("gaps", "Coverage gaps", lambda c: c["reason"]),
    ]
    for key, heading, line in sections:
        items = plan.get(key) or []
        out.print(f"\n[bold]{heading}[/] ({len(items)})")
        for item in items[:10]:
            out.print(f"  • {line(item)}", markup=False, highlight=False)
        if len(items) > 10:
            out.print(f"  … and {len(items) - 10} more (--json shows all)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    db: DbOption = None,
) -> None:
    """Serve the API and the pages."""
    import os

    import uvicorn

    # The app factory reads its settings from the environment, in this
    # process and in every worker process uvicorn starts.
    if db:
        os.environ["BROKER_DATABASE_URL"] = db
        get_settings.cache_clear()
    settings = get_settings()
    _configure_logging(settings.log_level)
    uvicorn.run(
        "broker.api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin or editor.")],
    org: Annotated[
        str | None, typer.Option(help="The organisation an editor key edits.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key and print it once."""
    from broker.services.access import create_api_key

    with _broker(db) as broker:
        key = create_api_key(broker, role, org)
    if as_json:
        _print_json({"key": key, "role": role, "organisation": org})
        return
    out.print(f"New {role} key (shown once; store it safely):")
    out.print(key, markup=False, highlight=False)


@keys_app.command("list")
def keys_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List API keys (never their secrets)."""
    from broker.services.access import api_keys

    with _broker(db) as broker:
        found = api_keys(broker)
    if as_json:
        _print_json([vars(k) for k in found])
        return
    table = Table(
        "prefix", "role", "organisation", "created", "revoked", title="API keys"
    )
    for k in found:
        table.add_row(
            k.prefix,
            k.role,
            k.organisation_id or "",
            str(k.created_at),
            "yes" if k.revoked else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[
        str, typer.Argument(help="The key's prefix, from 'broker keys list'.")
    ],
    db: DbOption = None,
) -> None:
    """Revoke an API key."""
    from broker.services.access import revoke_api_key

    with _broker(db) as broker:
        revoke_api_key(broker, prefix)
    out.print(f"Revoked key {prefix}.")


@app.command()
def synth(
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT", help="The import file to write.")
    ],
    orgs_count: Annotated[
        int, typer.Option("--orgs", min=1, help="How many organisations.")
    ],
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same file.")
    ] = 0,
    db: DbOption = None,
) -> None:
    """Write a realistic synthetic import file for benchmarks (--db is unused)."""
    from broker.synth import synthesise

    data = synthesise(orgs_count, seed=seed)
    out_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out.print(
        f"Wrote {len(data['organisations'])} organisations and "
        f"{len(data['partnerships'])} partnerships to {out_path}."
    )


@app.command()
def evaluate(
    k: Annotated[
        int, typer.Option("--k", min=1, help="The cutoff for recall and nDCG.")
    ] = 10,
    folds: Annotated[
        int | None, typer.Option(min=2, help="Seeded k-fold instead of leave-one-out.")
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for folds, baselines and intervals.")
    ] = 0,
    plot: Annotated[
        Path | None, typer.Option(help="Write a PNG of the metrics here.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Held-out match quality of the engine against baselines and ablations."""
    from broker.matching.evaluation import plot_results
    from broker.services.evaluation import evaluate as run

    with _broker(db) as broker:
        report, results = run(broker, k=k, fold_count=folds, seed=seed)
    if plot is not None:
        plot.write_bytes(plot_results(results, k=k))
    if as_json:
        _print_json(report)
        return
    metrics = ("recall@1", "recall@5", f"recall@{k}", "mrr", f"ndcg@{k}")
    table = Table(
        "method",
        *metrics,
        title=(
            f"Finding {report['partnerships_evaluated']} hidden partnerships "
            f"({report['queries']} queries, {report['protocol']}, {report['embedder']})"
        ),
        caption="mean [95% bootstrap interval]",
    )
    for method in report["methods"]:
        cells = []
        for metric in metrics:
            value = method["overall"][metric]
            cells.append(
                f"{value['mean']:.2f} [{value['low']:.2f}, {value['high']:.2f}]"
            )
        table.add_row(method["name"], *cells)
    out.print(table)


@app.command()
def learn(
    seed: Annotated[
        int, typer.Option(help="Seed for negative sampling and folds.")
    ] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit component weights from partnerships and feedback; the matcher uses them."""
    from broker.services.evaluation import learn as fit

    with _broker(db) as broker:
        try:
            found = fit(broker, seed=seed)
        except ValueError as error:
            err.print(f"[bold red]Cannot learn:[/] {error}")
            raise typer.Exit(1) from None
    if as_json:
        _print_json(found)
        return
    table = Table(
        "component", "learned weight", title="Learned weights (stored; now in use)"
    )
    for name, value in found["weights"].items():
        table.add_row(name, f"{value:.3f}")
    out.print(table)
    auc = found["report"]["cross_validated_auc"]
    out.print(
        f"Cross-validated AUC {auc['mean']:.3f} ± {auc['std']:.3f} on "
        f"{found['report']['positives']} positives and "
        f"{found['report']['negatives']} negatives; "
        f"default weights: {found['report']['default_weights_auc']}."
    )
