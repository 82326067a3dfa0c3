"""The backup store's engine-free parts on real files: manifest reading, checksums, retention,
atomic writes, and the content digest that tells whether a volume changed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path

import pytest

from kiops_desktop.ops.audit import AuditLog
from kiops_desktop.ops.backups import (
    MANIFEST,
    BackupStore,
    safe_name,
    stream_atomic,
    tar_content_digest,
    write_atomic,
)
from kiops_desktop.runtimes import errors


def make_tar(
    files: dict[str, bytes], *, top: str = "data", dir_mtime: int = 1, fmt: int = 0
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt or tarfile.PAX_FORMAT) as tar:
        d = tarfile.TarInfo(top)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, dir_mtime
        tar.addfile(d)
        for name, body in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(body), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def fake_backup(
    root: Path, service: str, created: str, archives: dict[str, bytes], *, folder: str = ""
) -> Path:
    """A backup folder as BackupStore.create writes it (minus the engine)."""
    path = root / safe_name(service) / (folder or f"{created.replace(':', '')}-{service}")
    (path / "volumes").mkdir(parents=True)
    volumes = []
    for i, (name, data) in enumerate(archives.items()):
        rel = f"volumes/{i}-{name}.tar"
        (path / rel).write_bytes(data)
        volumes.append(
            {
                "type": "volume",
                "name": name,
                "destination": f"/{name}",
                "source": "",
                "file": rel,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "content": tar_content_digest(data),
            }
        )
    manifest = {
        "format": 1,
        "service": service,
        "engine": "docker",
        "connection": "unix:///x.sock",
        "container_name": service,
        "container_id": "c" * 64,
        "state": "running",
        "image_reference": "shop/web:v1",
        "image_id": "sha256:" + "a" * 64,
        "repo_digests": ["127.0.0.1:5000/shop/web@sha256:" + "b" * 64],
        "created": created,
        "inspect": {"Id": "c" * 64, "Config": {"Image": "shop/web:v1"}},
        "volumes": volumes,
    }
    (path / MANIFEST).write_text(json.dumps(manifest))
    return path


def test_list_reads_manifests_newest_first_and_ignores_incomplete(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    fake_backup(tmp_path, "web", "2026-01-01T00:00:00.000000Z", {"db": make_tar({"a": b"1"})})
    fake_backup(tmp_path, "web", "2026-01-02T00:00:00.000000Z", {"db": make_tar({"a": b"2"})})
    fake_backup(tmp_path, "api", "2026-01-03T00:00:00.000000Z", {})
    # A backup interrupted mid-write (still under its temporary name) is not a backup.
    fake_backup(tmp_path, "web", "2026-01-09T00:00:00.000000Z", {}, folder=".tmp-123")
    # Neither is a folder whose manifest is unreadable.
    (tmp_path / "web" / "garbage").mkdir()
    (tmp_path / "web" / "garbage" / MANIFEST).write_text("{not json")

    web = store.list("web")
    assert [b.created for b in web] == [
        "2026-01-02T00:00:00.000000Z",
        "2026-01-01T00:00:00.000000Z",
    ]
    assert web[0].service == "web"
    assert web[0].engine == "docker"
    assert web[0].image == "shop/web:v1"
    assert [v.name for v in web[0].volumes] == ["db"]
    assert web[0].size == len(make_tar({"a": b"2"}))
    assert [b.service for b in store.list()] == ["api", "web", "web"]
    assert BackupStore(tmp_path / "missing").list() == []


def test_verify_names_the_corrupted_and_the_missing_archive(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    fake_backup(
        tmp_path,
        "web",
        "2026-01-01T00:00:00.000000Z",
        {"db": make_tar({"a": b"1"}), "uploads": make_tar({"b": b"2"}), "cache": make_tar({})},
    )
    [backup] = store.list("web")
    assert store.verify(backup).ok
    assert "intact" in str(store.verify(backup))

    db = backup.path / backup.volumes[0].file
    data = bytearray(db.read_bytes())
    data[600] ^= 0x01  # one flipped bit inside the file's data
    db.write_bytes(bytes(data))
    (backup.path / backup.volumes[1].file).unlink()

    result = store.verify(backup)
    assert not result.ok
    assert len(result.problems) == 2
    assert "db" in result.problems[0]
    assert "corrupted" in result.problems[0]
    assert "uploads" in result.problems[1]
    assert "missing" in result.problems[1]
    assert "cache" not in str(result)


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    for day in range(1, 6):
        fake_backup(tmp_path, "web", f"2026-01-0{day}T00:00:00.000000Z", {})
    fake_backup(tmp_path, "api", "2026-01-01T00:00:00.000000Z", {})

    deleted = store.prune("web", keep=2)
    assert [b.created[:10] for b in deleted] == ["2026-01-03", "2026-01-02", "2026-01-01"]
    assert [b.created[:10] for b in store.list("web")] == ["2026-01-05", "2026-01-04"]
    assert len(store.list("api")) == 1  # other services untouched
    assert not [p for p in (tmp_path / "web").iterdir() if p.name.startswith(".")]
    assert store.prune("web", keep=5) == []
    with pytest.raises(errors.Invalid):
        store.prune("web", keep=-1)


def test_prune_removes_what_a_crash_left_but_not_a_backup_in_progress(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    fake_backup(tmp_path, "web", "2026-01-01T00:00:00.000000Z", {})
    day_ago = time.time() - 25 * 3600
    crashed = tmp_path / "web" / ".tmp-crashed"
    (crashed / "volumes").mkdir(parents=True)
    (crashed / "volumes" / "0-db.tar").write_bytes(b"x" * 4096)
    for path in (crashed / "volumes" / "0-db.tar", crashed / "volumes", crashed):
        os.utime(path, (day_ago, day_ago))
    running = tmp_path / "web" / ".tmp-running"
    (running / "volumes").mkdir(parents=True)
    (running / "volumes" / "0-db.tar").write_bytes(b"still being written")
    os.utime(running, (day_ago, day_ago))  # the folder is old, its archive is not
    other = tmp_path / "api" / ".tmp-crashed"
    other.mkdir(parents=True)
    os.utime(other, (day_ago, day_ago))

    assert store.prune("web", keep=5) == []
    assert not crashed.exists()
    assert running.is_dir()
    assert other.is_dir()  # another service's folder waits for that service's prune
    assert len(store.list("web")) == 1


def test_known_digests_collects_every_image_a_service_ran(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    fake_backup(tmp_path, "web", "2026-01-01T00:00:00.000000Z", {})
    digests = store.known_digests("web")
    assert digests == ["127.0.0.1:5000/shop/web@sha256:" + "b" * 64, "sha256:" + "a" * 64]
    assert store.known_digests("nothing") == []


def test_delete_removes_the_folder(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    fake_backup(tmp_path, "web", "2026-01-01T00:00:00.000000Z", {"db": make_tar({"a": b"1"})})
    [backup] = store.list()
    store.delete(backup)
    assert store.list() == []
    assert list((tmp_path / "web").iterdir()) == []


def test_write_atomic_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    write_atomic(target, b"first")
    write_atomic(target, b"second, longer")
    assert target.read_bytes() == b"second, longer"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_content_digest_sees_data_not_headers(tmp_path: Path) -> None:
    base = make_tar({"a.txt": b"hello", "b.bin": bytes(range(256))})
    # Same files, other tar flavour and another mtime on the directory itself: same content.
    same = make_tar(
        {"a.txt": b"hello", "b.bin": bytes(range(256))}, dir_mtime=99, fmt=tarfile.GNU_FORMAT
    )
    assert base != same
    assert tar_content_digest(base) == tar_content_digest(same)
    # A changed byte, an extra file or a missing file all change it.
    assert tar_content_digest(base) != tar_content_digest(make_tar({"a.txt": b"hellO"}))
    extra = make_tar({"a.txt": b"hello", "b.bin": bytes(range(256)), "c": b""})
    assert tar_content_digest(base) != tar_content_digest(extra)
    assert tar_content_digest(base) != tar_content_digest(make_tar({"a.txt": b"hello"}))


def test_safe_name_never_hides_or_escapes() -> None:
    assert safe_name("shop/web") == "shop_web"
    assert safe_name("../etc") == "_etc"
    assert safe_name(".hidden") == "hidden"
    assert safe_name("") == "_"


def test_audit_log_appends_and_reads_back(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    assert log.entries() == []
    log.append(
        connection="docker:unix:///x",
        service="web",
        action="deploy",
        outcome="deployed",
        from_="web:v1",
        to="web:v2",
    )
    log.append(connection="docker:unix:///x", service="web", action="deploy", outcome="restored")
    # A crash mid-write leaves a torn last line: it is skipped, the rest still reads.
    with (tmp_path / "sub" / "audit.jsonl").open("a") as f:
        f.write('{"time": "2026-')
    entries = log.entries()
    assert [e["outcome"] for e in entries] == ["deployed", "restored"]
    assert entries[0]["from"] == "web:v1"
    assert entries[0]["to"] == "web:v2"
    assert set(entries[0]) == {
        "time",
        "user",
        "connection",
        "service",
        "action",
        "from",
        "to",
        "outcome",
        "detail",
    }
    assert time.strptime(entries[0]["time"][:19], "%Y-%m-%dT%H:%M:%S")


def test_content_digest_compares_permissions_not_how_the_type_is_encoded() -> None:
    # Docker writes the file type into a header's mode field too (0o40755 for a directory),
    # GNU tar only the permissions (0o755): the same directory must digest the same.
    def one(mode: int) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo("data")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, 5
            tar.addfile(info)
        return buf.getvalue()

    assert tar_content_digest(one(0o40755)) == tar_content_digest(one(0o755))
    assert tar_content_digest(one(0o755)) != tar_content_digest(one(0o700))


def test_a_manifest_with_fields_from_a_newer_version_still_loads(tmp_path: Path) -> None:
    folder = tmp_path / "svc" / "20260101T000000000000Z-svc"
    (folder / "volumes").mkdir(parents=True)
    (folder / "volumes" / "0-data.tar").write_bytes(b"x")
    volume = {
        "type": "volume",
        "name": "data",
        "destination": "/data",
        "source": "/v",
        "file": "volumes/0-data.tar",
        "size": 1,
        "sha256": hashlib.sha256(b"x").hexdigest(),
        "read_by": "host",
        "added_in_a_later_version": True,
    }
    manifest = {
        "service": "svc",
        "engine": "docker",
        "container_name": "svc",
        "created": "2026-01-01T00:00:00.000000Z",
        "image_reference": "app:v1",
        "image_id": "sha256:1",
        "inspect": {},
        "volumes": [volume],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest))
    [backup] = BackupStore(tmp_path).list()
    assert backup.volumes[0].read_by == "host"
    assert BackupStore(tmp_path).verify(backup).ok


def test_a_stream_that_fails_leaves_no_file_behind(tmp_path: Path) -> None:
    def chunks() -> object:
        yield b"x" * 1000
        raise OSError("the engine went away")

    with pytest.raises(OSError, match="went away"):
        stream_atomic(tmp_path / "a.tar", chunks())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    assert stream_atomic(tmp_path / "b.tar", [b"ab", b"c"]) == (
        3,
        hashlib.sha256(b"abc").hexdigest(),
    )
    assert [p.name for p in tmp_path.iterdir()] == ["b.tar"]
