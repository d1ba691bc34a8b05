"""Shared fixtures: real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from tests.postgres import create_database, pgvector_bin_dir, postgres_server

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

# One BLAS thread, as broker itself uses (see Settings.blas_threads): tests
# that call the matcher directly would otherwise run two spinning threads.
import scipy.linalg  # noqa: E402, F401  (load scipy's own OpenBLAS first)

threadpool_limits(limits=1, user_api="blas")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL server for this test session (URL template with {db})."""
    with postgres_server() as template:
        yield template


@pytest.fixture(scope="session")
def pgvector() -> Iterator[str]:
    """A PostgreSQL server with pgvector (the pgserver wheel's PostgreSQL 16)."""
    with postgres_server(pgvector_bin_dir()) as template:
        yield template


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind, one per test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'broker.db'}"
    template: str = request.getfixturevalue("postgres")
    return create_database(template)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite file, one per test."""
    return f"sqlite:///{tmp_path / 'broker.db'}"
