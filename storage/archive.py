"""Export and restore: every table the society owns as JSON Lines, photos as files, one .tar.gz.

Layout of an archive (format version 1):

    manifest.json            {"format", "version", "schema", "exported_at", "tables", "files"}
    tables/<table>.jsonl     one JSON object per row, ordered by primary key
    files/<sha256>           binary column values (photos), referenced as {"$file": "files/…"}

The outbox (`deliveries`) is left out: it is work in flight, not the society's data. A restore
migrates the empty database to the archive's schema revision, loads every row with its own id,
then migrates to the newest schema, all in one transaction.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from alembic import command
from sqlalchemy import Connection, MetaData, Table, func, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.archive import ArchiveError, ArchiveSummary
from storage.migrate import alembic_config, known_revisions
from storage.models import Base

FORMAT = "herald-archive"
VERSION = 1
MANIFEST = "manifest.json"
# Work in flight and Alembic's bookkeeping are not the society's data.
LEFT_OUT = frozenset({"deliveries", "alembic_version"})
BATCH = 500


class DatabaseArchive:
    """Implements bot.archive.Archive over an engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def export(self, path: Path) -> ArchiveSummary:
        """Write the archive to `path` through a temporary file, renamed once complete."""
        async with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One snapshot for every table, even while Herald keeps writing.
                await conn.execution_options(isolation_level="REPEATABLE READ")
            return await conn.run_sync(_export, path)

    async def restore(self, path: Path) -> ArchiveSummary:
        """Load the archive into an empty database; on any error nothing is kept."""
        try:
            archive = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise ArchiveError(f"{path} does not exist") from None
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ArchiveError(f"{path} is not a Herald archive (.tar.gz): {exc}") from None
        with archive:
            manifest = _manifest(archive, path)
            async with self._engine.begin() as conn:
                return await conn.run_sync(_restore, archive, manifest)


# --- export --------------------------------------------------------------------------------


def _owned_tables(conn: Connection) -> list[Table]:
    """The tables to archive, parents before children, as the database has them now."""
    present = MetaData()
    present.reflect(conn)
    return [
        present.tables[table.name]
        for table in Base.metadata.sorted_tables
        if table.name in present.tables and table.name not in LEFT_OUT
    ]


def _export(conn: Connection, path: Path) -> ArchiveSummary:
    from storage.migrate import _current

    schema = _current(conn)
    if schema is None:
        raise ArchiveError("the database is empty (never migrated): nothing to export")
    exported_at = datetime.now(UTC).replace(microsecond=0)
    mtime = int(exported_at.timestamp())
    tables = _owned_tables(conn)
    rows: dict[str, int] = {}
    files: set[str] = set()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".herald-export-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as out:
            bodies: list[tuple[str, IO[bytes]]] = []
            for table in tables:
                body = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
                rows[table.name] = _dump_table(conn, table, body, out, files, mtime)
                bodies.append((table.name, body))
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "schema": schema,
                "exported_at": exported_at.isoformat(),
                "tables": rows,
                "files": len(files),
            }
            _add(out, MANIFEST, json.dumps(manifest, indent=2).encode(), mtime)
            for name, lines in bodies:
                with lines:
                    size = lines.tell()
                    lines.seek(0)
                    info = tarfile.TarInfo(f"tables/{name}.jsonl")
                    info.size, info.mtime = size, mtime
                    out.addfile(info, lines)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return ArchiveSummary(schema=schema, rows=rows, files=len(files))


def _dump_table(
    conn: Connection, table: Table, body: IO[bytes], out: tarfile.TarFile,
    files: set[str], mtime: int,
) -> int:  # fmt: skip
    columns = [c for c in table.columns if c.computed is None]
    order = list(table.primary_key.columns) or columns
    query = select(*columns).order_by(*order)
    count = 0
    for row in conn.execution_options(yield_per=BATCH).execute(query):
        record: dict[str, Any] = {}
        for column, value in zip(columns, row, strict=True):
            if isinstance(value, bytes | bytearray | memoryview):
                data = bytes(value)
                name = "files/" + hashlib.sha256(data).hexdigest()
                if name not in files:
                    files.add(name)
                    _add(out, name, data, mtime)
                record[column.name] = {"$file": name}
            else:
                record[column.name] = _plain(value)
        body.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
        count += 1
    return count


def _plain(value: object) -> object:
    """A column value as JSON: times as ISO 8601 in UTC, dates as ISO dates."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _add(out: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), mtime
    out.addfile(info, io.BytesIO(data))


# --- restore -------------------------------------------------------------------------------


def _member(archive: tarfile.TarFile, name: str, path: Path) -> IO[bytes]:
    try:
        handle = archive.extractfile(name)
    except KeyError:
        handle = None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{path} is damaged: {exc}") from None
    if handle is None:
        raise ArchiveError(f"{path} is not a complete Herald archive: {name} is missing")
    return handle


def _manifest(archive: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(_member(archive, MANIFEST, path).read())
    except (ValueError, UnicodeDecodeError):
        raise ArchiveError(f"{path}: {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path} is not a Herald archive")
    version = manifest.get("version")
    if version != VERSION:
        raise ArchiveError(
            f"{path} is archive format {version!r}; this Herald reads format {VERSION}"
        )
    schema, tables = manifest.get("schema"), manifest.get("tables")
    if not isinstance(schema, str) or schema not in known_revisions():
        raise ArchiveError(
            f"{path} was written at schema {schema!r}, which this Herald does not know: "
            "restore it with the Herald that wrote it (or a newer one)"
        )
    if not isinstance(tables, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in tables.items()
    ):
        raise ArchiveError(f"{path}: the manifest's table list is damaged")
    manifest["path"] = path
    return manifest


def _restore(
    conn: Connection, archive: tarfile.TarFile, manifest: dict[str, Any]
) -> ArchiveSummary:
    from storage.migrate import _current

    path: Path = manifest["path"]
    schema: str = manifest["schema"]
    if conn.dialect.name == "sqlite":
        # Python's sqlite3 opens a transaction only before DML: without this BEGIN the
        # migrations' DDL would commit on its own and a failed restore leave a schema behind.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    current = _current(conn)
    if current is not None:
        full = [t.name for t in _owned_tables(conn) if _has_rows(conn, t)]
        if full:
            raise ArchiveError(
                "restore needs an empty database, and this one has rows in "
                + ", ".join(full) + ": point HERALD_DATABASE_URL at a new database"
            )  # fmt: skip
    if current != schema:
        if current is not None and current not in known_revisions():
            raise ArchiveError(f"the database is at an unknown schema {current}")
        _migrate(conn, schema)
    present = MetaData()
    present.reflect(conn)
    expected: dict[str, int] = manifest["tables"]
    unknown = sorted(set(expected) - set(present.tables) | set(expected) & LEFT_OUT)
    if unknown:
        raise ArchiveError(f"{path} holds tables schema {schema} does not have: {unknown}")
    # Parents first: the schema's own dependency order, not the archive's word for it.
    order = [t.name for t in Base.metadata.sorted_tables if t.name in expected]
    order += sorted(set(expected) - set(order))
    rows: dict[str, int] = {}
    files: set[str] = set()
    for name in order:
        table = present.tables[name]
        rows[name] = _load_table(conn, table, archive, path, files)
        if rows[name] != expected[name]:
            raise ArchiveError(
                f"{path} is damaged: tables/{name}.jsonl has {rows[name]} rows, "
                f"the manifest says {expected[name]}"
            )
    if conn.dialect.name == "postgresql":
        _advance_sequences(conn, [present.tables[name] for name in order])
    _migrate(conn, "head")
    return ArchiveSummary(schema=schema, rows=rows, files=len(files))


def _has_rows(conn: Connection, table: Table) -> bool:
    return conn.execute(select(func.count()).select_from(table)).scalar_one() > 0


def _migrate(conn: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def _load_table(
    conn: Connection, table: Table, archive: tarfile.TarFile, path: Path, files: set[str]
) -> int:
    member = f"tables/{table.name}.jsonl"
    naive = conn.dialect.name == "sqlite"
    count = 0
    batch: list[dict[str, Any]] = []
    for number, record in _records(_member(archive, member, path), member, path):
        try:
            batch.append(
                {
                    key: _value(table, key, value, archive, path, files, naive)
                    for key, value in record.items()
                }
            )
        except (ValueError, TypeError) as exc:
            raise ArchiveError(f"{path}: {member} line {number}: {exc}") from None
        count += 1
        if len(batch) >= BATCH:
            _insert(conn, table, batch, member, path)
            batch = []
    if batch:
        _insert(conn, table, batch, member, path)
    return count


def _records(handle: IO[bytes], member: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise ArchiveError(f"{path}: {member} line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise ArchiveError(f"{path}: {member} line {number} is not a JSON object")
        yield number, record


def _value(
    table: Table, key: str, value: Any, archive: tarfile.TarFile, path: Path, files: set[str],
    naive: bool,
) -> Any:  # fmt: skip
    if key not in table.columns:
        raise ValueError(f"table {table.name} has no column {key!r}")
    column_type = table.columns[key].type
    if value is None:
        return None
    if isinstance(column_type, sqltypes.LargeBinary):
        name = value.get("$file") if isinstance(value, dict) else None
        if not isinstance(name, str) or not name.startswith("files/"):
            raise ValueError(f"{key} should name a file in the archive")
        data = _member(archive, name, path).read()
        if hashlib.sha256(data).hexdigest() != name.removeprefix("files/"):
            raise ValueError(f"{name} does not match its checksum")
        files.add(name)
        return data
    if isinstance(column_type, sqltypes.DateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"{key}: {value!r} has no timezone")
        moment = moment.astimezone(UTC)
        # SQLite keeps naive UTC text (as storage.types.UTCDateTime writes it).
        return moment.replace(tzinfo=None) if naive else moment
    if isinstance(column_type, sqltypes.Date):
        return date.fromisoformat(value)
    return value


def _insert(
    conn: Connection, table: Table, batch: list[dict[str, Any]], member: str, path: Path
) -> None:
    try:
        conn.execute(table.insert(), batch)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", exc)).split())[:300]
        raise ArchiveError(f"{path}: {member} could not be loaded: {reason}") from None


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """After rows came with their own ids, new rows must get ids above them (PostgreSQL)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sqltypes.Integer):
            continue
        column = keys[0].name
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608
                f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table.name}"'
            ),
            {"table": table.name, "column": column},
        )
