"""The results store: what the Share button saves, kept across restarts and shared by app processes.

A result is a row (its record as JSON) and the files it holds, each kept once by its content's
SHA-256 in a files folder and served by that hash with the media type it was checked to be when
saved, never by a path. SQLite (WAL) under SHOWCASE_DATA by default; SHOWCASE_DB=postgresql://...
for several processes. The schema is Alembic's (storage/migrations), upgraded when a store opens.

A save writes its files first (each to a temporary name, then renamed), then the row and its file
list in one transaction: a process killed in between leaves files no row holds (swept later), never
a row whose files are missing. Limits (Limits) are held at every save: a result's size, results per
browser per hour, days kept, and the total size, for which the oldest results are removed first.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from PIL import Image

from i18n import N_
from models import runtime
from models.errors import ShowcaseError

MB = 2**20
# A browser's key (localStorage) and a result's id: 128 random bits at least, as hex or URL-safe text.
KEY_CHARACTERS = set("0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-_")
ID_BYTES = 24  # 192 bits
# A file no result holds (a save killed before its row was written) is removed after this long; a
# save in progress holds its files' rows fresh for much less.
ORPHAN_AGE_S = 600
# Media types of the files a result may hold: images, checked by decoding their header.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

METADATA = sa.MetaData()
RESULTS = sa.Table(
    "results",
    METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),  # SHA-256 of the saving browser's key
    sa.Column("tab", sa.String(64), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("created", sa.Float, nullable=False),  # Unix seconds
    sa.Column("size", sa.BigInteger, nullable=False),  # the record's bytes and its files'
    sa.Column("record", sa.Text),  # JSON; None once removed
    sa.Column("removed", sa.String(16)),  # None, or why: deleted, expired, evicted
)
FILES = sa.Table(
    "files",
    METADATA,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("stored", sa.Float, nullable=False),
)
RESULT_FILES = sa.Table(
    "result_files",
    METADATA,
    sa.Column("result_id", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
)

GONE = {
    None: N_("There is no saved result with this link. Check that the link was copied whole."),
    "deleted": N_("This result was deleted by the browser that saved it."),
    "expired": N_("This result has expired: results are kept {days:g} days."),
    "evicted": N_("This result was removed to make room for newer ones (the store holds {total_mb:.0f} MB)."),
}


class ResultGone(ShowcaseError):
    """The link names no result, or one that was removed (GONE says why, in the visitor's language)."""


@dataclass(frozen=True)
class Limits:
    total_bytes: int = 2048 * MB
    result_bytes: int = 20 * MB
    per_hour: int = 30  # results a browser may save in an hour
    days: float = 30

    @classmethod
    def from_environment(cls) -> Limits:
        """SHOWCASE_RESULTS_TOTAL_MB, SHOWCASE_RESULT_MB, SHOWCASE_RESULTS_PER_HOUR, SHOWCASE_RESULTS_DAYS."""
        environ = os.environ
        return cls(
            total_bytes=int(float(environ.get("SHOWCASE_RESULTS_TOTAL_MB", 2048)) * MB),
            result_bytes=int(float(environ.get("SHOWCASE_RESULT_MB", 20)) * MB),
            per_hour=int(environ.get("SHOWCASE_RESULTS_PER_HOUR", 30)),
            days=float(environ.get("SHOWCASE_RESULTS_DAYS", 30)),
        )


@dataclass(frozen=True)
class StoredFile:
    """A file a result holds, checked: its bytes, its media type and their SHA-256."""

    data: bytes
    media_type: str
    sha256: str

    @classmethod
    def image(cls, data: bytes) -> StoredFile:
        """An image's bytes as they came if a browser shows them (JPEG, PNG, WebP); otherwise (HEIC,
        BMP, TIFF...) converted to PNG. Bytes that are no image are refused."""
        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                if kind not in IMAGE_TYPES:
                    converted = io.BytesIO()
                    image.save(converted, "PNG")
                    data, kind = converted.getvalue(), "PNG"
                else:
                    image.verify()
        except Exception as error:
            raise ShowcaseError("A file of this result is not an image it can keep ({error}).", error=error) from None
        return cls(data, IMAGE_TYPES[kind], hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Saved:
    id: str
    evicted: int  # older results removed to make room for it


@dataclass(frozen=True)
class Result:
    id: str
    tab: str
    language: str
    created: float
    size: int
    record: dict[str, Any]


def data_dir() -> Path:
    """SHOWCASE_DATA, else a folder beside the model cache (on a Space with persistent storage, under /data)."""
    cache = runtime.cache_dir()
    return Path(os.environ.get("SHOWCASE_DATA") or cache.with_name(cache.name + "-results"))


def database_url(folder: Path) -> str:
    """SHOWCASE_DB (postgresql://... read through psycopg 3), else SQLite in the data folder."""
    url = os.environ.get("SHOWCASE_DB", "").strip()
    return driver_url(url) if url else f"sqlite:///{folder / 'results.sqlite'}"


def driver_url(url: str) -> str:
    """A database URL with its driver: psycopg 3 for PostgreSQL when the URL names none."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def owner_of(key: str) -> str:
    """The stored owner of a browser's key: its SHA-256 (the key itself is never stored)."""
    if not isinstance(key, str) or len(key) < 32 or len(key) > 128 or not set(key) <= KEY_CHARACTERS:
        raise ShowcaseError("This browser has no key to save results with; reload the page (it needs localStorage).")
    return hashlib.sha256(key.encode()).hexdigest()


def checked_id(result_id: str) -> str:
    if not isinstance(result_id, str) or not 16 <= len(result_id) <= 64 or not set(result_id) <= KEY_CHARACTERS:
        raise ResultGone(GONE[None])
    return result_id


def engine_for(url: str) -> sa.Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def connected(connection, _record) -> None:
        connection.isolation_level = None  # SQLAlchemy's begin below, not pysqlite's own
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses no committed result

    @sa.event.listens_for(engine, "begin")
    def begin(connection) -> None:
        # Every transaction takes the write lock at its start: a reader turned writer would otherwise
        # fail at once ("database is locked") instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(engine: sa.Engine) -> None:
    """Brings the schema to the newest revision (storage/migrations), one process at a time."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(2027)")  # concurrent starts
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class ResultStore:
    def __init__(self, url: str, files: Path, limits: Limits) -> None:
        self.url = url
        self.files = files
        self.limits = limits
        self.engine = engine_for(url)
        migrate(self.engine)
        self.files.mkdir(parents=True, exist_ok=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def path_of(self, sha256: str) -> Path:
        return self.files / sha256[:2] / sha256

    def save(
        self,
        key: str,
        tab: str,
        language: str,
        record: dict[str, Any],
        files: list[StoredFile],
        now: float | None = None,
    ) -> Saved:
        """Keeps a result; its id. Refused, before anything is written, over the per-result size or
        the browser's hourly count; older results are removed if the store would pass its total."""
        owner, now = owner_of(key), time.time() if now is None else now
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        unique = {file.sha256: file for file in files}
        size = len(text.encode()) + sum(len(file.data) for file in unique.values())
        if size > self.limits.result_bytes:
            raise ShowcaseError(
                "This result is {size:.1f} MB; results of up to {limit:.0f} MB are kept.",
                size=size / MB,
                limit=self.limits.result_bytes / MB,
            )
        with self.engine.begin() as db:
            recent = db.scalar(
                sa.select(sa.func.count())
                .select_from(RESULTS)
                .where(RESULTS.c.owner == owner, RESULTS.c.created > now - 3600)
            )
            if recent >= self.limits.per_hour:
                raise ShowcaseError(
                    "This browser saved {count} results in the last hour, the most it may; try again later.",
                    count=recent,
                )
            # Rows first, fresh: a sweep of orphan files never takes a file a save is about to hold.
            for file in unique.values():
                self.upsert_file(db, file, now)
        for file in unique.values():
            self.write_file(file)
        result_id = secrets.token_urlsafe(ID_BYTES)
        with self.engine.begin() as db:
            db.execute(
                RESULTS.insert().values(
                    id=result_id, owner=owner, tab=tab, language=language, created=now, size=size, record=text
                )
            )
            if unique:
                db.execute(RESULT_FILES.insert(), [{"result_id": result_id, "sha256": sha} for sha in unique])
        evicted = self.make_room(keep=result_id)
        return Saved(result_id, evicted)

    def upsert_file(self, db: sa.Connection, file: StoredFile, now: float) -> None:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        row = {"sha256": file.sha256, "media_type": file.media_type, "size": len(file.data), "stored": now}
        db.execute(insert(FILES).values(row).on_conflict_do_update(index_elements=["sha256"], set_={"stored": now}))

    def write_file(self, file: StoredFile) -> None:
        path = self.path_of(file.sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{secrets.token_hex(8)}.partial")
        partial.write_bytes(file.data)
        os.replace(partial, path)  # whole or absent, whoever else writes the same bytes

    def open(self, result_id: str, now: float | None = None) -> Result:
        """A kept result; ResultGone if the id names none, or one deleted, expired or removed."""
        now = time.time() if now is None else now
        with self.engine.connect() as db:
            row = db.execute(sa.select(RESULTS).where(RESULTS.c.id == checked_id(result_id))).first()
        if row is None or row.removed:
            raise self.gone(row.removed if row else None)
        if row.created < now - self.limits.days * 86400:
            raise self.gone("expired")
        return Result(row.id, row.tab, row.language, row.created, row.size, json.loads(row.record))

    def gone(self, reason: str | None) -> ResultGone:
        return ResultGone(GONE[reason], days=self.limits.days, total_mb=self.limits.total_bytes / MB)

    def file(self, sha256: str) -> tuple[bytes, str]:
        """A stored file's bytes and the media type it was checked to be, by its hash."""
        if not isinstance(sha256, str) or len(sha256) != 64 or not set(sha256) <= set("0123456789abcdef"):
            raise ResultGone(GONE[None])
        with self.engine.connect() as db:
            media_type = db.scalar(sa.select(FILES.c.media_type).where(FILES.c.sha256 == sha256))
        path = self.path_of(sha256)
        if media_type is None or not path.exists():
            raise ShowcaseError("A file of this result is no longer kept.")
        return path.read_bytes(), media_type

    def mine(self, key: str, now: float | None = None) -> list[Result]:
        """The results this browser saved and the store still keeps, newest first (records included)."""
        now = time.time() if now is None else now
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(RESULTS)
                .where(
                    RESULTS.c.owner == owner_of(key),
                    RESULTS.c.removed.is_(None),
                    RESULTS.c.created >= now - self.limits.days * 86400,
                )
                .order_by(RESULTS.c.created.desc())
            ).all()
        return [Result(row.id, row.tab, row.language, row.created, row.size, json.loads(row.record)) for row in rows]

    def delete(self, result_id: str, key: str) -> bool:
        """Removes a result, if `key` is the key of the browser that saved it; whether it did."""
        with self.engine.begin() as db:
            removed = self.remove(db, [checked_id(result_id)], "deleted", owner=owner_of(key))
        self.sweep_files()
        return removed == 1

    def remove(self, db: sa.Connection, ids: list[str], reason: str, owner: str | None = None) -> int:
        """Marks results removed (a link to one then says why) and lets go of their files."""
        if not ids:
            return 0
        where = RESULTS.c.id.in_(ids) & RESULTS.c.removed.is_(None)
        if owner is not None:
            where &= RESULTS.c.owner == owner
        count = db.execute(RESULTS.update().where(where).values(removed=reason, record=None)).rowcount
        db.execute(RESULT_FILES.delete().where(RESULT_FILES.c.result_id.in_(ids)))
        return count

    def make_room(self, keep: str, now: float | None = None) -> int:
        """Removes expired results, then the oldest until the store is within its total size; how
        many it removed for room (expired ones not counted)."""
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            expired = db.scalars(
                sa.select(RESULTS.c.id).where(
                    RESULTS.c.removed.is_(None), RESULTS.c.created < now - self.limits.days * 86400
                )
            ).all()
            self.remove(db, list(expired), "expired")
            total = db.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(RESULTS.c.size), 0)).where(RESULTS.c.removed.is_(None))
            )
            evicted: list[str] = []
            if total > self.limits.total_bytes:
                oldest = db.execute(
                    sa.select(RESULTS.c.id, RESULTS.c.size)
                    .where(RESULTS.c.removed.is_(None), RESULTS.c.id != keep)
                    .order_by(RESULTS.c.created)
                )
                for result_id, size in oldest:
                    if total <= self.limits.total_bytes:
                        break
                    evicted.append(result_id)
                    total -= size
                self.remove(db, evicted, "evicted")
        if expired or evicted:
            self.sweep_files()
        return len(evicted)

    def sweep_files(self, now: float | None = None) -> int:
        """Deletes files no result holds (rows, then disk, in one transaction: a save that wants a
        file again waits on its row and writes it anew), and partial writes a killed save left."""
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            held = sa.select(RESULT_FILES.c.sha256).where(RESULT_FILES.c.sha256 == FILES.c.sha256).exists()
            query = sa.select(FILES.c.sha256).where(~held, FILES.c.stored < now - ORPHAN_AGE_S)
            if self.dialect == "postgresql":  # SQLite's transaction already holds the write lock
                query = query.with_for_update()
            loose = db.scalars(query).all()
            if loose:
                db.execute(FILES.delete().where(FILES.c.sha256.in_(loose)))
            for sha256 in loose:
                self.path_of(sha256).unlink(missing_ok=True)
        for partial in self.files.glob("*/*.partial"):
            if partial.stat().st_mtime < now - ORPHAN_AGE_S:
                partial.unlink(missing_ok=True)
        return len(loose)

    def close(self) -> None:
        self.engine.dispose()


_store: ResultStore | None = None
_store_lock = threading.Lock()


def store() -> ResultStore:
    """The app's store, opened (and migrated) on first use from SHOWCASE_DB and SHOWCASE_DATA."""
    global _store
    with _store_lock:
        if _store is None:
            folder = data_dir()
            _store = ResultStore(database_url(folder), folder / "files", Limits.from_environment())
        return _store
