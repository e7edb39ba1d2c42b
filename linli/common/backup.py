"""Backup and restore of the database and the uploaded files (docs/deploy.md "Backup and restore").

One archive (``.tar.gz``) holds, in this order:

``database.dump``     PostgreSQL: ``pg_dump --format=custom`` of one consistent snapshot
``database.sqlite3``  SQLite: a consistent online copy made with the sqlite3 backup API
``media/<path>``      every regular file under ``MEDIA_ROOT`` (symbolic links are skipped)
``keys/pii.key``      the PII key, only with ``--with-keys`` (it should be kept apart)
``manifest.json``     last: format, time, Linli version, database vendor, migrations applied
                      per app, row counts per table, and size + SHA-256 of every member above

Restore reads the whole archive into a temporary directory beside ``MEDIA_ROOT`` and checks
every member against the manifest before anything is touched. The SHA-256 sums catch a
corrupted or edited member; they are not a signature (whoever can rewrite the archive can
rewrite the manifest too), so keep archives where only operators can write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
KEY_MEMBER = "keys/pii.key"
_CHUNK = 1 << 20
_SAFE_PATH = re.compile(r"^[^\x00]+$")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is Chinese, for the operator."""


@dataclasses.dataclass
class RestoreResult:
    """What a restore did: the manifest read, and warnings the operator must see."""

    manifest: dict[str, Any]
    warnings: list[str] = dataclasses.field(default_factory=list)
    pending_migrations: list[str] = dataclasses.field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def sha256_file(path: Path) -> str:
    """SHA-256 hex of the file at ``path`` (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def key_fingerprint(key: str) -> str:
    """16 hex characters identifying a PII key without revealing it (HMAC-SHA256 of a label)."""
    return hmac.new(key.encode(), b"linli-pii-key-fingerprint-v1", hashlib.sha256).hexdigest()[:16]


def linli_version() -> str:
    """The installed ``linli`` package version ("unknown" when not installed as a package)."""
    try:
        return metadata.version("linli")
    except metadata.PackageNotFoundError:
        return "unknown"


def _vendor(conn: BaseDatabaseWrapper) -> str:
    if conn.vendor not in DB_MEMBER:
        raise BackupError(f"不支持备份 {conn.vendor} 数据库（只支持 PostgreSQL 和 SQLite）")
    return str(conn.vendor)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(posix relative path, absolute path)`` of each regular file under ``root``, sorted."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


# --------------------------------------------------------------------------- PostgreSQL tools


def pg_tool(name: str, server_major: int) -> str:
    """Path of the PostgreSQL client ``name`` (``pg_dump``/``pg_restore``) fit for the server.

    Looks in ``LINLI_PG_BIN``, then ``/usr/lib/postgresql/<N>/bin`` (newest first), then
    ``PATH``, and takes the first whose major version is at least ``server_major`` (pg_dump
    refuses a newer server; an older pg_restore cannot read a newer dump format).

    Raises:
        BackupError: no suitable binary.
    """
    candidates: list[Path] = []
    if os.environ.get("LINLI_PG_BIN"):
        candidates.append(Path(os.environ["LINLI_PG_BIN"]) / name)
    versioned = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    for folder in sorted(versioned, key=lambda p: -int(p.parent.name)):
        candidates.append(folder / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    found = []
    for path in candidates:
        if not path.is_file():
            continue
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False)
        match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
        if match:
            found.append(f"{path}（{match.group(1)}）")
            if int(match.group(1)) >= server_major:
                return str(path)
    raise BackupError(
        f"找不到与数据库服务器（PostgreSQL {server_major}）版本相符的 {name}；"
        f"已找到：{'、'.join(found) or '无'}。请安装 postgresql-client-{server_major} "
        "或用 LINLI_PG_BIN 指定目录。"
    )


def _pg_env(conn: BaseDatabaseWrapper) -> tuple[dict[str, str], str]:
    """Environment for the PostgreSQL clients (password never on the command line) and the
    database name."""
    s = conn.settings_dict
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if s.get(key):
            env[var] = str(s[key])
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    return env, str(s["NAME"])


def _pg_major(conn: BaseDatabaseWrapper) -> int:
    conn.ensure_connection()
    return int(conn.pg_version) // 10000  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- database state


def _state(cursor: Any, tables: list[str]) -> dict[str, Any]:
    """Row counts per table and the applied migrations per app, read with ``cursor``."""
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return {"tables": counts, "migrations": migrations}


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [r[0] for r in rows]


def _dump_sqlite(conn: BaseDatabaseWrapper, dest: Path) -> dict[str, Any]:
    """Copy the live SQLite database to ``dest`` (backup API: a consistent copy while others
    write) and read the state from the copy, so counts match the copied data exactly."""
    conn.ensure_connection()
    raw: sqlite3.Connection = conn.connection  # type: ignore[assignment]
    if conn.in_atomic_block:
        # The backup API waits forever on a source with an open write transaction (tests run
        # inside one); serialize() copies what this connection sees, in memory.
        dest.write_bytes(raw.serialize())
    copy = sqlite3.connect(dest)
    try:
        if not conn.in_atomic_block:
            raw.backup(copy)
        return _state(copy.cursor(), _sqlite_tables(copy))
    finally:
        copy.close()


def _dump_postgresql(conn: BaseDatabaseWrapper, dest: Path) -> dict[str, Any]:
    """``pg_dump --format=custom`` into ``dest``; counts and migrations are read in the same
    exported snapshot (REPEATABLE READ), so they describe exactly the dumped rows."""
    tool = pg_tool("pg_dump", _pg_major(conn))
    env, name = _pg_env(conn)
    command = [tool, "--format=custom", "--no-password", f"--file={dest}", f"--dbname={name}"]
    if conn.in_atomic_block:  # called inside a transaction (tests): no snapshot of our own
        return _pg_run_dump(conn, command, env)
    with transaction.atomic(using=conn.alias):
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        return _pg_run_dump(conn, [*command, f"--snapshot={snapshot}"], env)


def _pg_run_dump(conn: BaseDatabaseWrapper, command: list[str], env: dict[str, str]) -> Any:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump 失败：{done.stderr.strip()[-500:]}")
    with conn.cursor() as cursor:
        return _state(cursor, conn.introspection.table_names(cursor))


# --------------------------------------------------------------------------- backup


class _HashingReader(io.RawIOBase):
    """Reads ``fh`` while hashing what was read (so the manifest hashes what was archived)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, arcname: str, path: Path) -> dict[str, Any]:
    info = tarfile.TarInfo(arcname)
    info.size = path.stat().st_size
    info.mtime = int(path.stat().st_mtime)
    info.mode = 0o600
    with path.open("rb") as fh:
        reader = _HashingReader(fh)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    return {"path": arcname, "size": info.size, "sha256": reader.digest.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, arcname: str, data: bytes) -> dict[str, Any]:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    return {"path": arcname, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def backup_path(output: str | Path | None, now: dt.datetime) -> Path:
    """Where the archive goes: ``output`` if it names a file, else
    ``<output or VAR_DIR/backups>/linli-backup-YYYYMMDD-HHMMSS.tar.gz`` (local time)."""
    name = f"linli-backup-{timezone.localtime(now):%Y%m%d-%H%M%S}.tar.gz"
    if output is None:
        return Path(settings.VAR_DIR) / "backups" / name
    target = Path(output)
    if target.is_dir() or str(output).endswith(os.sep):
        return target / name
    return target


def backup_create(
    *, output: str | Path | None = None, with_keys: bool = False, using: str = "default"
) -> tuple[Path, dict[str, Any]]:
    """Write one archive of the database ``using`` and ``MEDIA_ROOT``; return its path and
    manifest.

    The archive is written as ``<path>.part`` (mode 0600: it holds personal data) and renamed
    when complete, so a crash never leaves a truncated file under the final name. Records an
    ``AuditKind.BACKUP`` event.

    Raises:
        BackupError: unsupported database, no suitable pg_dump, the dump failed, or the
            output path cannot be written.
    """
    conn = connections[using]
    vendor = _vendor(conn)
    now = timezone.now()
    target = backup_path(output, now)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {target.parent}：{exc}") from None
    part = target.with_name(target.name + ".part")
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="linli-backup-", dir=target.parent) as work:
        db_file = Path(work) / DB_MEMBER[vendor]
        dump = _dump_sqlite if vendor == "sqlite" else _dump_postgresql
        state = dump(conn, db_file)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                members = [_add_file(tar, DB_MEMBER[vendor], db_file)]
                files = [_add_file(tar, f"media/{rel}", p) for rel, p in _media_files(media_root)]
                if with_keys:
                    members.append(_add_bytes(tar, KEY_MEMBER, settings.PII_KEY.encode()))
                manifest = {
                    "format": FORMAT,
                    "created_at": now.isoformat(),
                    "linli_version": linli_version(),
                    "vendor": vendor,
                    "database": members[0],
                    "members": members[1:],
                    "media": files,
                    "pii_key_fingerprint": key_fingerprint(settings.PII_KEY),
                    "with_keys": with_keys,
                    **state,
                }
                body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True)
                _add_bytes(tar, MANIFEST, body.encode())
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    _audit(
        f"备份数据库与上传文件：{target.name}",
        {
            "file": target.name,
            "size": target.stat().st_size,
            "sha256": sha256_file(target),
            "tables": len(manifest["tables"]),
            "rows": sum(manifest["tables"].values()),
            "media_files": len(manifest["media"]),
            "with_keys": with_keys,
        },
        using=using,
    )
    return target, manifest


def _audit(summary: str, detail: dict[str, Any], *, using: str) -> None:
    """Append an ``AuditKind.BACKUP`` event (default database only: the audit chain lives
    there). A restored database older than the audit app cannot take it: skipped."""
    from django.db import DatabaseError

    from linli.audit.models import AuditKind
    from linli.audit.services import record

    if using != "default":
        return
    with contextlib.suppress(DatabaseError):
        record(AuditKind.BACKUP, summary, actor_label="linli 命令行", detail=detail)


# --------------------------------------------------------------------------- reading archives


CORRUPT = "备份文件已损坏或被篡改"


def _member_allowed(name: str) -> bool:
    if not _SAFE_PATH.match(name) or name.startswith("/") or "\\" in name:
        return False
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return False
    return name in (MANIFEST, KEY_MEMBER, *DB_MEMBER.values()) or (
        parts[0] == "media" and len(parts) > 1
    )


def archive_extract(archive: Path, workdir: Path) -> dict[str, Any]:
    """Extract ``archive`` into ``workdir`` and check it against its manifest; return the
    manifest.

    Every member must be a regular file with a safe relative name, listed in the manifest
    with the same size and SHA-256, and every listed member must be present.

    Raises:
        BackupError: unreadable, truncated, corrupted or edited archive (Chinese message).
    """
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    seen: dict[str, tuple[int, str]] = {}
    manifest_bytes = b""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile() or not _member_allowed(member.name):
                    raise BackupError(f"{CORRUPT}：含有不应有的条目 {member.name!r}")
                if member.name in seen:
                    raise BackupError(f"{CORRUPT}：条目 {member.name} 重复")
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                if member.name == MANIFEST:
                    manifest_bytes = source.read(16 * _CHUNK)
                    seen[MANIFEST] = (len(manifest_bytes), "")
                    continue
                dest = workdir / member.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                with dest.open("wb") as out:
                    for chunk in iter(lambda: source.read(_CHUNK), b""):  # noqa: B023
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[member.name] = (size, digest.hexdigest())
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"{CORRUPT}（无法读取：{exc}）") from None
    if not manifest_bytes:
        raise BackupError(f"{CORRUPT}：缺少清单 {MANIFEST}")
    try:
        manifest = json.loads(manifest_bytes)
        listed = [manifest["database"], *manifest["members"], *manifest["media"]]
        expected = {m["path"]: (int(m["size"]), str(m["sha256"])) for m in listed}
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{CORRUPT}：清单无法解析（{exc}）") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式 {manifest.get('format')!r}（本版本读取格式 {FORMAT}）")
    seen.pop(MANIFEST)
    for name in sorted(set(expected) | set(seen)):
        if name not in seen:
            raise BackupError(f"{CORRUPT}：缺少 {name}")
        if name not in expected:
            raise BackupError(f"{CORRUPT}：{name} 不在清单中")
        if seen[name] != expected[name]:
            raise BackupError(f"{CORRUPT}：{name} 的大小或 SHA-256 与清单不符")
    return dict(manifest)


# --------------------------------------------------------------------------- restore


def _target_rows(conn: BaseDatabaseWrapper) -> int:
    """How many tables of the target database hold at least one row."""
    with conn.cursor() as cursor:
        tables = conn.introspection.table_names(cursor)
        filled = 0
        for table in tables:
            cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")
            filled += cursor.fetchone() is not None
    return filled


def _newer_migrations(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Migrations in the archive unknown to this code: (of known apps, of unknown apps)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known_apps = {app for app, _ in loader.disk_migrations} | set(loader.unmigrated_apps)
    newer: list[str] = []
    foreign: list[str] = []
    for app, names in manifest["migrations"].items():
        for name in names:
            if (app, name) in loader.disk_migrations:
                continue
            (newer if app in known_apps else foreign).append(f"{app}.{name}")
    return newer, foreign


def _pending_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations of this code not applied in the archive (``linli migrate`` after restore)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, n) for app, names in manifest["migrations"].items() for n in names}
    pending = []
    for key, migration in loader.disk_migrations.items():
        replaced = set(getattr(migration, "replaces", []) or [])
        if key not in applied and not (replaced and replaced <= applied):
            pending.append(f"{key[0]}.{key[1]}")
    return sorted(pending)


def restore_check(manifest: dict[str, Any], *, yes: bool, using: str = "default") -> list[str]:
    """Refuse a restore that must not happen; return warnings for one that may.

    Raises:
        BackupError: another database vendor; migrations newer than this code; the target
            holds data and ``yes`` is false.
    """
    conn = connections[using]
    vendor = _vendor(conn)
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"备份来自 {manifest['vendor']} 数据库，当前是 {vendor}：不能跨数据库类型恢复"
        )
    newer, foreign = _newer_migrations(manifest)
    if newer:
        shown = "、".join(newer[:5]) + ("……" if len(newer) > 5 else "")
        raise BackupError(
            f"备份中的数据库结构比当前代码新（当前代码没有迁移 {shown}）："
            f"请先把邻里升级到 {manifest.get('linli_version')} 或更新的版本再恢复"
        )
    warnings = []
    if foreign:
        warnings.append(f"备份含有当前代码没有的应用的迁移：{'、'.join(sorted(foreign))}")
    filled = _target_rows(conn)
    if filled and not yes:
        raise BackupError(
            f"目标数据库 {conn.settings_dict['NAME']} 已有数据（{filled} 张表非空），"
            "恢复会用备份替换全部数据。确认请加 --yes"
        )
    return warnings


def _restore_sqlite(conn: BaseDatabaseWrapper, source: Path) -> None:
    """Replace the live database with ``source`` in one backup step (one write transaction
    on the target: readers see either the old or the new database)."""
    conn.ensure_connection()
    src = sqlite3.connect(source)
    try:
        # A cut file still opens (SQLite sizes a database by its file): check every page first.
        check = src.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise BackupError(f"恢复数据库失败，数据库未改动：备份中的数据库文件已损坏 {check[:3]}")
        src.backup(conn.connection)  # type: ignore[arg-type]
    except sqlite3.Error as exc:
        raise BackupError(f"恢复数据库失败，数据库未改动：{exc}") from None
    finally:
        src.close()


def _restore_postgresql(conn: BaseDatabaseWrapper, source: Path) -> None:
    """``pg_restore --clean --if-exists --no-owner`` in ONE transaction: on any error the
    database is left exactly as it was."""
    tool = pg_tool("pg_restore", _pg_major(conn))
    env, name = _pg_env(conn)
    conn.close()  # our idle connection must not hold locks the DROPs wait for
    command = [
        tool,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={name}",
        str(source),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"恢复数据库失败，数据库未改动：{done.stderr.strip()[-500:]}")


def _swap_media(new: Path) -> None:
    """Put ``new`` in place of ``MEDIA_ROOT`` by two renames on one file system, then delete
    the old tree (the window without a media directory is two ``rename`` calls long)."""
    media = Path(settings.MEDIA_ROOT)
    new.mkdir(parents=True, exist_ok=True)
    old = media.with_name(f".{media.name}.old-{os.getpid()}")
    if media.exists():
        os.replace(media, old)
    os.replace(new, media)
    shutil.rmtree(old, ignore_errors=True)


def _verify_counts(conn: BaseDatabaseWrapper, manifest: dict[str, Any]) -> list[str]:
    with conn.cursor() as cursor:
        tables = conn.introspection.table_names(cursor)
        missing = sorted(set(manifest["tables"]) - set(tables))
        now = _state(cursor, [t for t in tables if t in manifest["tables"]])["tables"]
    wrong = [t for t, n in manifest["tables"].items() if t in now and now[t] != n]
    problems = [f"缺少表 {t}" for t in missing]
    problems += [f"{t} 有 {now[t]} 行，备份时 {manifest['tables'][t]} 行" for t in wrong]
    return problems


def pii_key_check(manifest: dict[str, Any], workdir: Path) -> list[str]:
    """Warnings when the current PII key does not open the restored identity numbers."""
    from linli.common import pii
    from linli.people.models import Resident

    fingerprint = key_fingerprint(settings.PII_KEY)
    token = (
        Resident.objects.exclude(id_number_encrypted="")
        .values_list("id_number_encrypted", flat=True)
        .first()
    )
    archived_key = workdir / KEY_MEMBER
    if token is None:
        ok = fingerprint == manifest.get("pii_key_fingerprint")
    else:
        try:
            pii.decrypt(token)
            ok = True
        except ValueError:
            ok = False
    if ok:
        return []
    text = (
        "警告：当前 PII 密钥（LINLI_PII_KEY / var/pii.key）与备份时的密钥不同"
        f"（备份时指纹 {manifest.get('pii_key_fingerprint')}，当前 {fingerprint}）："
        "恢复的身份证号无法解密，也无法按身份证号查找。"
    )
    if archived_key.is_file():
        restored = Path(settings.VAR_DIR) / "pii.key.restored"
        fd = os.open(restored, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(archived_key.read_bytes())
        text += f"备份中的密钥已写到 {restored}：确认后用它替换 PII 密钥文件并重启。"
    else:
        text += "请找回备份时的 PII 密钥（它不在备份中），设为 LINLI_PII_KEY_FILE 后重启。"
    return [text]


def restore_apply(archive: Path, *, yes: bool = False, using: str = "default") -> RestoreResult:
    """Restore the database and ``MEDIA_ROOT`` from ``archive`` (made by :func:`backup_create`).

    Order: extract and verify everything into a temporary directory beside ``MEDIA_ROOT``;
    check vendor, migrations and ``yes`` (:func:`restore_check`); replace the database in one
    transaction; swap the media directory. A failure before the database step changes
    nothing; a failed database step leaves database and media as they were.

    Raises:
        BackupError: see :func:`archive_extract`, :func:`restore_check`, and a failed
            database step (nothing replaced).
    """
    conn = connections[using]
    media = Path(settings.MEDIA_ROOT)
    media.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".linli-restore-", dir=media.parent) as tmp:
        workdir = Path(tmp)
        manifest = archive_extract(archive, workdir)
        result = RestoreResult(manifest, restore_check(manifest, yes=yes, using=using))
        source = workdir / manifest["database"]["path"]
        if manifest["vendor"] == "sqlite":
            _restore_sqlite(conn, source)
        else:
            _restore_postgresql(conn, source)
        _swap_media(workdir / "media")
        problems = _verify_counts(conn, manifest)
        if problems:
            result.warnings.append("恢复后与备份清单不符：" + "；".join(problems[:10]))
        result.pending_migrations = _pending_migrations(manifest)
        if using == "default" and not result.pending_migrations:
            result.warnings += pii_key_check(manifest, workdir)
    _audit(
        f"从备份恢复：{archive.name}",
        {
            "file": archive.name,
            "sha256": sha256_file(archive),
            "backup_created_at": manifest["created_at"],
            "rows": sum(manifest["tables"].values()),
            "media_files": len(manifest["media"]),
        },
        using=using,
    )
    return result
