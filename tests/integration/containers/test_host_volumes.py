"""Backups that read a volume with tar on the engine's host (``runtimes.host_volumes``), on real
Docker and Podman: the same contents as the engine's archive API, real owners kept through a
restore, and every case where the API must be used instead.

The suite runs as root next to its own rootful engines, so the host read is what these engines
get by default; ``BackupStore(host_read=False)`` is the archive API alone.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import tarfile
import tracemalloc
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.ops.backups import BackupStore, put_volume, tar_content_digest, volume_digest
from kiops_desktop.runtimes import errors, host_volumes
from kiops_desktop.runtimes.containers import ContainerEngine, named_volumes
from kiops_desktop.runtimes.podman import PodmanEngine
from tests.integration.containers.conftest import APP_REPO, TEST_LABEL, Engines, free_port

pytestmark = pytest.mark.integration

MTIME = 1_700_000_000
MB = 1 << 20
# a file capability (cap_net_bind_service=ep, as setcap writes it): the one xattr archives carry
CAP_VALUE = b"\x01\x00\x00\x02\x00\x04\x00\x00" + bytes(12)
CAP = {"SCHILY.xattr.security.capability": CAP_VALUE.decode("latin-1")}
LONG = "l" * 120 + ".txt"  # longer than a ustar name field: GNU and PAX long-name headers


def rich_volume_tar() -> bytes:
    """A volume ("data/...") with what real volumes hold: other owners (a 0700 database
    directory), symlinks in and out, a hard link, a fifo, setuid, an empty file, spaces, non-ASCII
    and long names."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name: str, kind: bytes, mode: int, uid: int = 0, gid: int = 0, **kw: Any) -> None:
            info = tarfile.TarInfo(f"data/{name}" if name else "data")
            info.type, info.mode, info.uid, info.gid, info.mtime = kind, mode, uid, gid, MTIME
            body = kw.pop("body", None)
            for k, v in kw.items():
                setattr(info, k, v)
            if body is not None:
                info.size = len(body)
            tar.addfile(info, io.BytesIO(body) if body is not None else None)

        add("", tarfile.DIRTYPE, 0o755)
        add("pgdata", tarfile.DIRTYPE, 0o700, 999, 999)
        add("pgdata/PG_VERSION", tarfile.REGTYPE, 0o600, 999, 999, body=b"16\n")
        add("pgdata/base.bin", tarfile.REGTYPE, 0o600, 999, 999, body=os.urandom(300_000))
        add("app", tarfile.DIRTYPE, 0o750, 1000, 2000)
        add("app/config file.yml", tarfile.REGTYPE, 0o640, 1000, 2000, body=b"a: 1\n")
        add("app/zürich.txt", tarfile.REGTYPE, 0o644, 1000, 2000, body="grüezi\n".encode())
        add(f"app/{LONG}", tarfile.REGTYPE, 0o644, 1000, 2000, body=b"long\n")
        add("app/empty", tarfile.REGTYPE, 0o644, 1000, 2000, body=b"")
        add("app/hard", tarfile.LNKTYPE, 0o640, 1000, 2000, linkname="data/app/config file.yml")
        add("current", tarfile.SYMTYPE, 0o777, linkname="./app")
        add("outside", tarfile.SYMTYPE, 0o777, linkname="/etc/hostname")
        add("queue", tarfile.FIFOTYPE, 0o600)
        add("helper", tarfile.REGTYPE, 0o4755, body=b"#!/bin/sh\n")
        add("binder", tarfile.REGTYPE, 0o755, body=b"#!/bin/sh\n", pax_headers=dict(CAP))
    return buf.getvalue()


def disk_tree(root: str) -> dict[str, tuple[Any, ...]]:
    """Everything a restore must bring back, read from the volume's directory on disk."""
    out: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            body = ""
            if stat.S_ISREG(st.st_mode):
                body = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else ""
            try:
                cap = os.getxattr(path, "security.capability", follow_symlinks=False)
            except OSError:
                cap = b""
            mtime = 0 if stat.S_ISDIR(st.st_mode) else int(st.st_mtime)
            out[rel] = (stat.S_IFMT(st.st_mode), oct(st.st_mode & 0o7777), st.st_uid, st.st_gid)
            out[rel] += (body, link, mtime, st.st_nlink if stat.S_ISREG(st.st_mode) else 0, cap)
    return out


def members(path: Path) -> dict[str, tuple[int, int]]:
    with tarfile.open(path) as tar:
        return {m.name.strip("/"): (m.uid, m.gid) for m in tar.getmembers()}


@dataclass
class Volume:
    ce: ContainerEngine
    container: str
    volume: str

    def source(self) -> str:
        [mount] = [m for m in named_volumes(self.ce.inspect(self.container)) if m["name"]]
        return mount["source"]


def start_with_volume(ce: ContainerEngine, data: bytes, *, extra: Sequence[str] = ()) -> Volume:
    suffix = uuid.uuid4().hex[:8]
    name, volume = f"kiops-hostread-{suffix}", f"kiops-hostread-vol-{suffix}"
    spec = {
        "Config": {
            "Image": f"{APP_REPO}:v1",
            "Env": [f"PORT={free_port()}"],
            "Labels": dict(TEST_LABEL),
        },
        "HostConfig": {"NetworkMode": "host", "Binds": [f"{volume}:/data", *extra]},
    }
    cid = ce.create_like(spec, f"{APP_REPO}:v1", name)
    put_volume(ce, cid, "/data", data)
    ce.start(cid)
    return Volume(ce, name, volume)


@pytest.fixture
def vol(ce: ContainerEngine) -> Iterator[Volume]:
    v = start_with_volume(ce, rich_volume_tar())
    yield v
    for leftover in (v.container,):
        if ce.exists(leftover):
            ce.remove(leftover)
    ce.remove_volume(v.volume)


def test_host_read_has_the_engines_contents_and_the_real_owners(
    vol: Volume, tmp_path: Path
) -> None:
    on_host = BackupStore(tmp_path / "host").create(vol.ce, vol.container)
    by_engine = BackupStore(tmp_path / "api", host_read=False).create(vol.ce, vol.container)
    [h], [e] = on_host.volumes, by_engine.volumes
    assert (h.read_by, e.read_by) == ("host", "engine")
    assert BackupStore(tmp_path / "host").verify(on_host).ok

    # Same names, types, permissions, links, bytes and times as the engine's own archive ...
    # (Podman's also rounds times to the nearest second where tar and Docker truncate)
    docker = vol.ce.name == "docker"

    def without_owners(path: Path) -> str:
        rewritten = io.BytesIO()
        with tarfile.open(path) as src, tarfile.open(fileobj=rewritten, mode="w") as dst:
            for m in src.getmembers():
                m.uid = m.gid = 0
                m.uname = m.gname = ""
                m.pax_headers = {}
                m.mtime = m.mtime if docker else 0
                dst.addfile(m, src.extractfile(m) if m.isfile() else None)
        return tar_content_digest(rewritten.getvalue())

    assert without_owners(on_host.path / h.file) == without_owners(by_engine.path / e.file)
    if docker:  # Docker's archives carry owners and truncate times: everything is equal
        assert tar_content_digest(on_host.path / h.file) == tar_content_digest(
            by_engine.path / e.file
        )
    # ... and the owners on disk (Podman's archive API names its caller as every file's owner).
    owners = members(on_host.path / h.file)
    assert owners["data/pgdata/PG_VERSION"] == (999, 999)
    assert owners[f"data/app/{LONG}"] == (1000, 2000)
    tree = disk_tree(vol.source())
    assert tree["binder"][8] == CAP_VALUE  # the engine put the file capability in place
    with tarfile.open(on_host.path / h.file) as tar:
        binder = tar.getmember("data/binder")
        assert binder.pax_headers == CAP  # ... and the host read keeps it, as the API does
        assert tar.getmember("data/helper").pax_headers == {}  # no records for the rest
        for m in tar.getmembers():
            if m.name != "data":
                on_disk = tree[m.name.removeprefix("data/")]
                assert (m.uid, m.gid) == on_disk[2:4], m.name
                assert m.isdir() or int(m.mtime) == on_disk[6], m.name


@pytest.mark.parametrize("reader", ["host", "engine"])
def test_restore_puts_back_every_file_owner_and_link(
    vol: Volume, tmp_path: Path, reader: str
) -> None:
    store = BackupStore(tmp_path / "backups", host_read=reader == "host")
    before = disk_tree(vol.source())
    backup = store.create(vol.ce, vol.container)
    assert backup.volumes[0].read_by == reader
    put_volume(vol.ce, vol.container, "/data", _junk())
    assert disk_tree(vol.source()) != before

    store.restore(vol.ce, backup, start=False)
    after = disk_tree(vol.source())
    if (vol.ce.name, reader) == ("podman", "engine"):
        # Podman's archive API cannot give more: every owner becomes root, times are rounded.
        def lossy(tree: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
            return {k: (*v[:2], *v[4:6], v[7]) for k, v in tree.items()}

        assert lossy(after) == lossy(before)
        assert after["pgdata"][2:4] == (0, 0)
    else:
        assert after == before


def _junk() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("junk.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"junk"))
    return buf.getvalue()


def test_a_restore_streams_the_archive_instead_of_holding_the_volume_in_memory(
    ce: ContainerEngine, tmp_path: Path
) -> None:
    blob = os.urandom(48 * MB)
    v = start_with_volume(ce, _tar_with("data/blob.bin", blob))
    try:
        store = BackupStore(tmp_path)
        backup = store.create(ce, v.container)
        tracemalloc.start()
        try:
            store.restore(ce, backup, start=False)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 8 * MB, f"the restore held {peak / MB:.0f} MB in Python objects"
        restored = Path(v.source()) / "blob.bin"
        assert hashlib.sha256(restored.read_bytes()).digest() == hashlib.sha256(blob).digest()
    finally:
        ce.remove(v.container)
        ce.remove_volume(v.volume)


def _tar_with(name: str, body: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        top = tarfile.TarInfo("data")
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        info = tarfile.TarInfo(name)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


# --------------------------------------------------------------------------- when not to


def test_a_directory_that_is_not_the_engines_is_not_read(vol: Volume, tmp_path: Path) -> None:
    [mount] = [m for m in named_volumes(vol.ce.inspect(vol.container)) if m["name"]]
    assert host_volumes.host_directory(vol.ce, vol.container, mount) == mount["source"]
    # A real directory at the path the engine names, but another one (a remote engine, Docker
    # Desktop's VM, a stale path): same name, different mtime -> the API.
    elsewhere = tmp_path / "_data"
    elsewhere.mkdir()
    other = {**mount, "source": str(elsewhere)}
    assert host_volumes.host_directory(vol.ce, vol.container, other) is None
    missing = {**mount, "source": str(tmp_path / "gone")}
    assert host_volumes.host_directory(vol.ce, vol.container, missing) is None


def test_a_tar_of_another_directory_does_not_count(vol: Volume, tmp_path: Path) -> None:
    # archive_on_host runs tar while it asks the engine; the answer decides afterwards.
    [mount] = [m for m in named_volumes(vol.ce.inspect(vol.container)) if m["name"]]
    elsewhere = tmp_path / "_data"
    elsewhere.mkdir()
    (elsewhere / "not-the-volume.txt").write_text("x")
    with (
        (tmp_path / "other.tar").open("wb") as out,
        pytest.raises(host_volumes.NotOnThisHost, match="not the engine's directory"),
    ):
        host_volumes.archive_on_host(
            vol.ce, vol.container, {**mount, "source": str(elsewhere)}, [], out
        )
    archive = tmp_path / "volume.tar"
    with archive.open("wb") as out:
        size, digest = host_volumes.archive_on_host(vol.ce, vol.container, mount, [mount], out)
    assert size == archive.stat().st_size
    assert digest == hashlib.sha256(archive.read_bytes()).hexdigest()
    with tarfile.open(archive) as tar:
        assert "data/pgdata/PG_VERSION" in tar.getnames()


def test_a_mount_with_another_mount_inside_is_read_by_the_engine(
    ce: ContainerEngine, tmp_path: Path
) -> None:
    inner = f"kiops-hostread-inner-{uuid.uuid4().hex[:8]}"
    v = start_with_volume(ce, rich_volume_tar(), extra=[f"{inner}:/data/cache"])
    try:
        backup = BackupStore(tmp_path).create(ce, v.container)
        by_dest = {x.destination: x.read_by for x in backup.volumes}
        assert by_dest == {"/data": "engine", "/data/cache": "host"}
    finally:
        ce.remove(v.container)
        ce.remove_volume(v.volume)
        ce.remove_volume(inner)


def test_a_tar_that_fails_midway_falls_back_to_the_engine(
    vol: Volume, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = str(_broken_tar(tmp_path))
    monkeypatch.setattr(host_volumes, "gnu_tar", lambda: broken)
    store = BackupStore(tmp_path / "backups")
    backup = store.create(vol.ce, vol.container)
    assert backup.volumes[0].read_by == "engine"
    assert store.verify(backup).ok
    leftovers = [p.name for p in (backup.path / "volumes").iterdir()]
    assert leftovers == [backup.volumes[0].file.split("/")[1]]


def test_a_content_check_whose_tar_fails_reads_through_the_engine(
    vol: Volume, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deploy's "did the volume change?" reads as the backup did: on the host, unless tar
    # fails there; its garbage must not end the deploy's self-restore with a tarfile error.
    backup = BackupStore(tmp_path / "backups").create(vol.ce, vol.container)
    [volume] = backup.volumes
    assert volume.read_by == "host"
    assert volume_digest(vol.ce, vol.container, volume) == backup.content_digest(volume)
    broken = str(_broken_tar(tmp_path))
    monkeypatch.setattr(host_volumes, "gnu_tar", lambda: broken)
    by_engine = tar_content_digest(vol.ce.archive_get(vol.container, "/data"))
    assert volume_digest(vol.ce, vol.container, volume) == by_engine


def _broken_tar(tmp_path: Path) -> Path:
    """A tar that writes part of an archive (garbage), then fails as on an unreadable file."""
    broken = tmp_path / "tar"
    broken.write_text(
        "#!/bin/sh\nhead -c 20480 /dev/urandom\necho 'tar: x: Permission denied' >&2\nexit 2\n"
    )
    broken.chmod(0o755)
    return broken


def test_the_setting_off_reads_through_the_engine(vol: Volume, tmp_path: Path) -> None:
    backup = BackupStore(tmp_path, host_read=False).create(vol.ce, vol.container)
    assert backup.volumes[0].read_by == "engine"


def test_a_podman_container_with_mapped_ids_is_read_by_the_engine(
    engines: Engines, podman_client: Any, tmp_path: Path
) -> None:
    volume = f"kiops-hostread-mapped-{uuid.uuid4().hex[:8]}"
    name = f"kiops-hostread-mapped-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "podman",
            "--url",
            engines.podman_url,
            "run",
            "-d",
            "--name",
            name,
            "--label",
            "kiops-test=1",
            "--network",
            "host",
            "--uidmap",
            "0:100000:5000",
            "--gidmap",
            "0:100000:5000",
            "-e",
            f"PORT={free_port()}",
            "-v",
            f"{volume}:/data",
            f"{APP_REPO}:v1",
        ],
        check=True,
        capture_output=True,
    )
    ce = PodmanEngine(engines.podman_url)
    try:
        assert ce.probe_path(name, "/data") is None
        backup = BackupStore(tmp_path).create(ce, name)
        assert backup.volumes[0].read_by == "engine"
    finally:
        ce.remove(name)
        ce.remove_volume(volume)
        ce.close()


def test_the_probe_is_the_engines_stat_of_the_mount(vol: Volume) -> None:
    on_disk = os.stat(vol.source())
    probe = vol.ce.probe_path(vol.container, "/data")
    assert probe is not None
    assert (probe.is_dir, probe.perm) == (True, on_disk.st_mode & 0o777)
    assert probe.mtime_ns == on_disk.st_mtime_ns
    vol.ce.stop(vol.container, timeout=1)  # a stopped container's mounts answer the same
    stopped = vol.ce.probe_path(vol.container, "/data")
    assert stopped is not None
    assert stopped.mtime_ns == os.stat(vol.source()).st_mtime_ns
    with pytest.raises(errors.NotFound):
        vol.ce.probe_path(vol.container, "/no/such/path")
