"""The command line on a real SQLite file, with the fast TF-IDF embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broker.cli import app
from broker.settings import get_settings
from tests.conftest import FIXTURES


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, str]:
    monkeypatch.setenv("BROKER_EMBEDDER", "tfidf")
    monkeypatch.setenv("BROKER_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    yield CliRunner(), f"sqlite:///{tmp_path / 'cli.db'}"
    get_settings.cache_clear()


def invoke(cli: tuple[CliRunner, str], *args: str) -> tuple[int, str, str]:
    runner, url = cli
    result = runner.invoke(app, [*args, "--db", url])
    return result.exit_code, result.stdout, result.stderr


def test_load_prints_counts_and_is_idempotent(cli: tuple[CliRunner, str]) -> None:
    code, stdout, _ = invoke(cli, "load", str(FIXTURES / "report.json"), "--json")
    assert code == 0
    first = json.loads(stdout)
    assert first["organisations"]["created"] >= 45

    code, stdout, _ = invoke(cli, "load", str(FIXTURES / "report.json"), "--json")
    again = json.loads(stdout)
    assert again["organisations"]["created"] == again["organisations"]["updated"] == 0


def test_a_rejected_load_lists_every_problem_and_writes_nothing(
    cli: tuple[CliRunner, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "organisations": [
                    {"id": "ok-org", "name": "OK", "kind": "tso", "aims": "Fine."},
                    {"id": "Bad Id", "name": "X", "kind": "tso", "aims": "x"},
                    {"id": "no-aims", "name": "Y", "kind": "tso"},
                ]
            }
        )
    )
    code, _, stderr = invoke(cli, "load", str(bad))
    assert code == 2
    assert "2 problem(s); nothing was written" in stderr
    assert "row 2, organisations.id" in stderr
    assert "row 3, organisations.aims: missing" in stderr

    code, stdout, _ = invoke(cli, "orgs", "--json")
    assert json.loads(stdout)["total"] == 0


def test_orgs_filters_and_shows_one(cli: tuple[CliRunner, str]) -> None:
    invoke(cli, "load", str(FIXTURES / "report.json"))

    code, stdout, _ = invoke(
        cli, "orgs", "--kind", "hei", "--region", "london", "--json"
    )
    found = json.loads(stdout)["organisations"]
    assert code == 0 and found
    assert {o["kind"] for o in found} == {"hei"}
    assert {o["region"] for o in found} == {"london"}

    code, stdout, _ = invoke(cli, "orgs", "generating-genius", "--json")
    assert json.loads(stdout)["name"] == "Generating Genius"

    code, _, stderr = invoke(cli, "orgs", "no-such-org")
    assert code == 1 and "no organisation with id 'no-such-org'" in stderr

    code, _, stderr = invoke(cli, "orgs", "--target-group", "pupils")
    assert code == 2 and "unknown tag 'pupils'" in stderr


def test_orgs_table_for_people(cli: tuple[CliRunner, str]) -> None:
    invoke(cli, "load", str(FIXTURES / "report.json"))
    code, stdout, _ = invoke(cli, "orgs", "--kind", "learner_group")
    assert code == 0
    assert "learner_group" in stdout and "organisations" in stdout


def test_synth_writes_a_loadable_file(
    cli: tuple[CliRunner, str], tmp_path: Path
) -> None:
    out = tmp_path / "synth.json"
    code, _, _ = invoke(cli, "synth", str(out), "--orgs", "300", "--seed", "3")
    assert code == 0
    data = json.loads(out.read_text())
    assert len(data["organisations"]) == 300
    assert data["partnerships"]
    again = tmp_path / "again.json"
    invoke(cli, "synth", str(again), "--orgs", "300", "--seed", "3")
    assert again.read_text() == out.read_text()

    code, stdout, _ = invoke(cli, "load", str(out), "--json")
    assert code == 0
    assert json.loads(stdout)["organisations"]["created"] == 300


def test_keys_are_shown_once_and_listed_without_secrets(
    cli: tuple[CliRunner, str],
) -> None:
    invoke(cli, "load", str(FIXTURES / "report.json"))
    code, stdout, _ = invoke(
        cli, "keys", "create", "--role", "editor", "--org", "teach-first", "--json"
    )
    key = json.loads(stdout)["key"]
    assert code == 0 and key.startswith("brk_")

    code, stdout, _ = invoke(cli, "keys", "list", "--json")
    (listed,) = json.loads(stdout)
    assert listed["role"] == "editor" and key not in stdout

    code, _, _ = invoke(cli, "keys", "revoke", listed["prefix"])
    assert code == 0
    code, stdout, _ = invoke(cli, "keys", "list", "--json")
    assert json.loads(stdout)[0]["revoked"] is True

    code, _, stderr = invoke(cli, "keys", "create", "--role", "editor")
    assert code == 2 and "add --org ID" in stderr
