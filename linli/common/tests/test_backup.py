"""``linli backup`` / ``linli restore``: round trip, refusals, nothing half-restored.

The round trip restores into a second, empty database by running ``linli restore`` in a
subprocess (as an operator would): a file for SQLite, a throwaway database
``<test db>_dst`` on PostgreSQL. It then compares every table (row count and a hash of the
ordered rows) and every media file byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from linli.audit.models import AuditEvent, AuditKind
from linli.common import backup
from linli.testing.factories import ResidentFactory, area_chain

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    """A MEDIA_ROOT of the test's own with a few files (nested, Chinese name, binary)."""
    root = tmp_path / "var" / "media"
    (root / "cases" / "2026").mkdir(parents=True)
    (root / "cases" / "2026" / "照片.jpg").write_bytes(bytes(range(256)) * 40)
    (root / "notes.txt").write_text("邻里", encoding="utf-8")
    with override_settings(MEDIA_ROOT=root, VAR_DIR=tmp_path / "var"):
        yield root


def _some_data() -> None:
    chain = area_chain()
    for _ in range(3):
        ResidentFactory(household__building__micro_grid=chain["micro_grid"])


def _repack(archive: Path, change: Callable[[dict[str, bytes]], None], *, rehash: bool) -> Path:
    """A copy of ``archive`` whose members ``change`` edits; ``rehash`` keeps the manifest
    consistent (so only deeper checks can catch the edit)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    change(members)
    if rehash:
        manifest = json.loads(members["manifest.json"])
        for entry in [manifest["database"], *manifest["members"], *manifest["media"]]:
            data = members[entry["path"]]
            entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
    out = archive.with_name("edited-" + archive.name)
    with tarfile.open(out, "w:gz") as tar:
        names = [n for n in members if n != "manifest.json"] + ["manifest.json"]
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = len(members[name])
            tar.addfile(info, io.BytesIO(members[name]))
    return out


# --------------------------------------------------------------------------- comparing


def _table_hashes_sqlite(db: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    tables = backup._sqlite_tables(db)
    out = {}
    for table in tables:
        rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
        digest = hashlib.sha256("\n".join(sorted(repr(r) for r in rows)).encode()).hexdigest()
        out[table] = (len(rows), digest)
    return out


def _table_hashes_pg(dbname: str) -> dict[str, tuple[int, str]]:
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], dbname=dbname, autocommit=True
    ) as db:
        tables = [
            r[0]
            for r in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            rows = "string_agg(t::text, E'\\n' ORDER BY t::text)"
            count, digest = db.execute(
                f'SELECT COUNT(*), md5({rows}) FROM "{table}" t'  # type: ignore[arg-type]
            ).fetchone()  # type: ignore[misc]
            out[table] = (count, digest or "")
    return out


def _pg_admin(sql: str) -> None:
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], dbname="postgres", autocommit=True
    ) as db:
        db.execute(sql)


class _Target:
    """The destination of the round trip: an empty database of the current vendor."""

    def __init__(self, tmp_path: Path) -> None:
        self.var = tmp_path / "dst-var"
        self.var.mkdir()
        if connection.vendor == "postgresql":
            self.name = f"{connection.settings_dict['NAME']}_dst"
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            _pg_admin(f'CREATE DATABASE "{self.name}"')
            s = connection.settings_dict
            self.url = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{self.name}"
        else:
            self.file = tmp_path / "dst.sqlite3"
            self.url = f"sqlite:///{self.file}"

    def restore(self, archive: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        env = dict(
            os.environ,
            DATABASE_URL=self.url,
            LINLI_VAR_DIR=str(self.var),
            LINLI_PII_KEY=settings.PII_KEY,
            LINLI_SECRET_KEY=settings.SECRET_KEY,
        )
        command = [sys.executable, "-m", "linli.cli", "restore", str(archive), *extra]
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)

    def hashes(self) -> dict[str, tuple[int, str]]:
        if connection.vendor == "postgresql":
            return _table_hashes_pg(self.name)
        with sqlite3.connect(self.file) as db:
            return _table_hashes_sqlite(db)

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.name}"')


def _source_hashes() -> dict[str, tuple[int, str]]:
    if connection.vendor == "postgresql":
        return _table_hashes_pg(connection.settings_dict["NAME"])
    db = sqlite3.connect(connection.settings_dict["NAME"], uri=True)  # the shared memory db
    try:
        return _table_hashes_sqlite(db)
    finally:
        db.close()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- round trip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_round_trip_restores_every_table_row_for_row_and_every_file_byte_for_byte(
    media: Path, tmp_path: Path
) -> None:
    _some_data()
    call_command("backup", output=str(tmp_path), stdout=io.StringIO())
    [archive] = tmp_path.glob("linli-backup-*.tar.gz")
    source = _source_hashes()
    target = _Target(tmp_path)
    try:
        done = target.restore(archive)
        assert done.returncode == 0, done.stderr
        assert "PII 密钥" not in done.stderr  # the same key: identity numbers readable
        restored = target.hashes()
        assert restored["people_resident"][0] == 3
        # the audit log differs by design: the source has the backup's event (written after
        # the dump), the target the restore's
        assert restored["audit_auditevent"][0] == source["audit_auditevent"][0] == 1
        source["audit_auditevent"] = restored["audit_auditevent"]
        assert {t: restored.get(t) for t in source} == source
        assert _files(target.var / "media") == _files(media)
    finally:
        target.drop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_database_restore_leaves_database_and_media_unchanged(
    media: Path, tmp_path: Path
) -> None:
    # given a backup whose dump is cut in half behind a consistent manifest (as a dump
    # written to a full disk would be)
    _some_data()
    call_command("backup", output=str(tmp_path / "b.tar.gz"), stdout=io.StringIO())

    def truncate(members: dict[str, bytes]) -> None:
        name = backup.DB_MEMBER[connection.vendor]
        members[name] = members[name][: len(members[name]) // 2]
        members["media/notes.txt"] = b"changed"

    broken = _repack(tmp_path / "b.tar.gz", truncate, rehash=True)
    before, files = _source_hashes(), _files(media)
    # when it is restored over the live database, then the database step fails and
    # neither the database nor the media files change
    message = _restore_refused(broken, "--yes")
    assert "恢复数据库失败，数据库未改动" in message
    assert _source_hashes() == before
    assert _files(media) == files


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def archive(media: Path, tmp_path: Path, db: None) -> Path:
    _some_data()
    call_command("backup", output=str(tmp_path / "b.tar.gz"), stdout=io.StringIO())
    return tmp_path / "b.tar.gz"


def _restore_refused(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), *args, stdout=io.StringIO())
    return str(refused.value)


def test_backup_holds_a_manifest_with_migrations_counts_and_hashes_but_no_key(
    archive: Path, media: Path
) -> None:
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names[-1] == "manifest.json" and "keys/pii.key" not in names
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"]["people_resident"] == 3
    assert "0001_initial" in manifest["migrations"]["people"]
    photo = next(f for f in manifest["media"] if f["path"] == "media/cases/2026/照片.jpg")
    data = (media / "cases" / "2026" / "照片.jpg").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert photo == {"path": photo["path"], "size": len(data), "sha256": digest}
    assert AuditEvent.objects.filter(kind=AuditKind.BACKUP, summary__contains="b.tar.gz").exists()
    assert os.stat(archive).st_mode & 0o077 == 0  # personal data: owner only


def test_with_keys_puts_the_pii_key_in_the_archive(media: Path, tmp_path: Path, db: None) -> None:
    call_command("backup", output=str(tmp_path / "k.tar.gz"), with_keys=True, stdout=io.StringIO())
    with tarfile.open(tmp_path / "k.tar.gz") as tar:
        key = tar.extractfile("keys/pii.key").read()  # type: ignore[union-attr]
    assert key.decode() == settings.PII_KEY


def test_a_corrupted_archive_is_refused_in_chinese(archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert "备份文件已损坏或被篡改" in _restore_refused(archive, "--yes")


def test_an_edited_member_is_refused_before_anything_changes(archive: Path, media: Path) -> None:
    def edit(members: dict[str, bytes]) -> None:
        members["media/notes.txt"] = b"edited"

    before = _files(media)
    message = _restore_refused(_repack(archive, edit, rehash=False), "--yes")
    assert "media/notes.txt 的大小或 SHA-256 与清单不符" in message
    assert _files(media) == before


def test_a_member_missing_from_the_manifest_is_refused(archive: Path) -> None:
    def add(members: dict[str, bytes]) -> None:
        members["media/extra.php"] = b"<?php"

    assert "不在清单中" in _restore_refused(_repack(archive, add, rehash=False), "--yes")


def test_restore_into_a_database_with_data_needs_yes(archive: Path) -> None:
    message = _restore_refused(archive)
    assert "已有数据" in message and "--yes" in message
    from linli.people.models import Resident

    assert Resident.objects.count() == 3


def test_a_backup_of_another_database_vendor_is_refused(archive: Path) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def vendor(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["vendor"] = other
        members["manifest.json"] = json.dumps(manifest).encode()

    message = _restore_refused(_repack(archive, vendor, rehash=True), "--yes")
    assert "不能跨数据库类型恢复" in message


def test_migrations_newer_than_the_code_are_refused(archive: Path) -> None:
    def newer(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["migrations"]["people"].append("9999_from_the_future")
        members["manifest.json"] = json.dumps(manifest).encode()

    message = _restore_refused(_repack(archive, newer, rehash=True), "--yes")
    assert "比当前代码新" in message and "people.9999_from_the_future" in message


def test_the_wrong_pii_key_is_reported_after_restore(archive: Path, tmp_path: Path) -> None:
    manifest: dict[str, Any] = {"pii_key_fingerprint": backup.key_fingerprint(settings.PII_KEY)}
    assert backup.pii_key_check(manifest, tmp_path) == []
    with override_settings(PII_KEY="another-key-" + "x" * 40):
        [warning] = backup.pii_key_check(manifest, tmp_path)
    assert "无法解密" in warning and "不在备份中" in warning
