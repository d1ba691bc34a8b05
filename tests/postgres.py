"""A throwaway PostgreSQL server for the tests, started from Debian's binaries.

The server runs as the ``postgres`` system user when the tests run as root
(PostgreSQL refuses to run as root), listens only on a Unix socket in a
temporary folder, and is stopped at the end of the session. Debian's server
has no pgvector; ``pgvector_bin_dir`` finds the PostgreSQL 16 that the
``pgserver`` wheel bundles with it, and the same helpers run that one.
"""

from __future__ import annotations

import glob
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def pgvector_bin_dir() -> Path:
    """The binaries of the ``pgserver`` wheel: PostgreSQL 16 with pgvector.

    Found without importing ``pgserver``: only its binaries are used, and its
    import sets up a lock folder and warns when ``XDG_RUNTIME_DIR`` is unset.
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        msg = "pgserver is not installed; run 'make test' (it installs it)"
        raise RuntimeError(msg)
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").is_file():
        msg = f"pgserver has no PostgreSQL binaries in {bin_dir}"
        raise RuntimeError(msg)
    if _postgres_can_run(bin_dir):
        return bin_dir
    # The checkout (and its .venv) may sit where the postgres user cannot
    # enter, such as /root: run a copy from /tmp. The binaries find their
    # libraries at $ORIGIN/../../../pgserver.libs, so that moves too.
    site = bin_dir.parents[2]
    version = importlib.metadata.version("pgserver")
    copy = Path(tempfile.gettempdir()) / f"broker-pgserver-{version}"
    if not (copy / "pgserver" / "pginstall" / "bin" / "pg_ctl").is_file():
        shutil.rmtree(copy, ignore_errors=True)
        for part in ("pgserver/pginstall", "pgserver.libs"):
            shutil.copytree(site / part, copy / part, symlinks=True)
        for folder in (copy, copy / "pgserver"):
            folder.chmod(0o755)
    return copy / "pgserver" / "pginstall" / "bin"


def _postgres_can_run(bin_dir: Path) -> bool:
    """Whether the user the server runs as may execute the binaries there."""
    if os.geteuid() != 0:
        return True
    found = subprocess.run(
        _as_postgres(["test", "-x", str(bin_dir / "postgres")]), check=False
    )
    return found.returncode == 0


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@contextmanager
def postgres_server(bin_dir: Path | None = None) -> Iterator[str]:
    """Start a server; yield a SQLAlchemy URL template with a ``{db}`` slot.

    ``bin_dir`` holds the server's binaries; Debian's newest by default.
    """
    bin_dir = bin_dir or _bin_dir()
    if bin_dir is None:
        msg = "PostgreSQL is not installed; run 'make test' (it installs it)"
        raise RuntimeError(msg)
    root = Path(tempfile.mkdtemp(prefix="broker-pg-"))
    data, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    # restart_server needs the same binaries.
    (root / "bin_dir").write_text(str(bin_dir))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, socket_dir):
            os.chown(path, user.pw_uid, user.pw_gid)
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "broker",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-k {socket_dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(root / "log"),
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://broker@/{{db}}?host={socket_dir}"
    finally:
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(template: str) -> str:
    """Create an empty database on the server and return its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = template.format(db="postgres").replace("postgresql+psycopg", "postgresql")
    for attempt in range(20):
        try:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)
    return template.format(db=name)


def restart_server(template: str) -> None:
    """Restart the server behind a URL template (fast shutdown, then start)."""
    socket_dir = Path(template.rsplit("host=", 1)[1])
    data = socket_dir.parent / "data"
    bin_dir = Path((socket_dir.parent / "bin_dir").read_text())
    options = (
        f"-k {socket_dir} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    )
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(socket_dir.parent / "log"),
                "-m",
                "fast",
                "restart",
            ]
        ),
        check=True,
        capture_output=True,
    )
