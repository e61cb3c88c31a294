"""lishui db: migrations, backup and restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from lishui.core.console import console_error, load
from lishui.core.migrate import upgrade as run_upgrade

app = typer.Typer(help="Database: migrate, back up, restore.", no_args_is_help=True)


@app.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    settings, db = load()
    db.dispose()
    run_upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {make_url(settings.database_url).render_as_string(hide_password=True)}")


def _pg_args(url: str) -> tuple[list[str], str]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", "--no-password"]
    return args, u.database or "postgres"


def _pg_env(url: str) -> dict[str, str]:
    """The password goes to pg_dump/pg_restore in the environment, never on the command line."""
    password = make_url(url).password
    return {**os.environ, "PGPASSWORD": str(password)} if password else dict(os.environ)


def _run(command: list[str], url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL client tool found on PATH, with arguments built here (never a shell)."""
    return subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603
                          env=_pg_env(url) if url else None)


def _check_sqlite_backup(path: Path) -> str | None:
    """Why the file is not a usable backup of this platform, or None if it is."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                return "the file fails SQLite's integrity check"
            if conn.execute("SELECT version_num FROM alembic_version").fetchone() is None:
                return "the file has no schema version"
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"not a platform database ({exc})"
    return None


@app.command()
def backup(path: Annotated[Path, typer.Argument(help="Backup file to write")]) -> None:
    """Back up the database: SQLite online backup API, or pg_dump (custom format) for PostgreSQL."""
    settings, db = load()
    db.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        source = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
        target = sqlite3.connect(path)
        with target:
            source.backup(target)
        source.close()
        target.close()
    else:
        args, name = _pg_args(settings.database_url)
        result = _run(["pg_dump", *args, "-Fc", "-f", str(path), name], settings.database_url)
        if result.returncode != 0:
            console_error(f"pg_dump failed: {result.stderr.strip()}")
            raise typer.Exit(1)
    typer.echo(f"backup written: {path} ({path.stat().st_size:,} bytes)")


@app.command()
def restore(path: Annotated[Path, typer.Argument(help="Backup file to read", exists=True, dir_okay=False)],
            yes: Annotated[bool, typer.Option("--yes", help="Replace the current database without asking")] = False
            ) -> None:
    """Restore a backup into the configured database (which is replaced)."""
    settings, db = load()
    db.dispose()
    if not yes:
        typer.confirm(f"Replace {make_url(settings.database_url).render_as_string(hide_password=True)}?", abort=True)
    if settings.is_sqlite:
        problem = _check_sqlite_backup(path)
        if problem:
            console_error(f"{path} is not a backup that can be restored: {problem}; nothing was changed")
            raise typer.Exit(1)
        target = Path(settings.database_url.removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".restoring")
        shutil.copyfile(path, tmp)
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        tmp.replace(target)
    else:
        args, name = _pg_args(settings.database_url)
        listed = _run(["pg_restore", "--list", str(path)])
        if listed.returncode != 0:
            console_error(f"{path} is not a pg_dump archive: {listed.stderr.strip()}; nothing was changed")
            raise typer.Exit(1)
        result = _run(["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                       "-d", name, str(path)], settings.database_url)
        if result.returncode != 0:
            console_error(f"pg_restore failed: {result.stderr.strip()}")
            raise typer.Exit(1)
    typer.echo(f"restored {path}")
