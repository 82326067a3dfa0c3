"""The backup store: one folder per backup of a container (its inspect JSON + volume archives).

Layout under the root::

    <service>/<UTC time>-<container>/manifest.json
    <service>/<UTC time>-<container>/volumes/<n>-<volume>.tar

A backup is written under a ``.tmp-`` name and renamed into place only when complete, so a crash
never leaves a folder that looks like a finished backup (``list`` ignores ``.tmp-`` folders).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import io
import json
import logging
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import platformdirs

from kiops_desktop.core.images import ImageRefError, parse_image_ref
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine, named_volumes
from kiops_desktop.runtimes.host_volumes import (
    HostReadError,
    NotOnThisHost,
    archive_on_host,
    host_directory,
    tar_directory,
)
from kiops_desktop.runtimes.registry import DOCKER_HUB, CredentialLookup, RegistryCredentials

_log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
STALE_TMP_S = 24 * 3600  # an unfinished backup folder untouched this long is a crash's leftover
FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def default_root() -> Path:
    return Path(platformdirs.user_data_dir("kiops-desktop", "KIOPS")) / "backups"


def safe_name(text: str) -> str:
    """A file-name-safe form of a service or container name (also never hidden)."""
    return _UNSAFE.sub("_", text).lstrip(".") or "_"


CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tar_content_digest(data: bytes | Path | Iterable[bytes]) -> str:
    """Digest of what a tar *contains* (names, types, modes, owners, file bytes and times).

    Engines write different headers for the same files (Podman differs between a stopped and a
    running container), and a directory's own mtime moves when files come and go; this digest
    ignores both, so it answers "did the volume's contents change?". ``data``: the archive's
    bytes, its file, or a stream of chunks (read once, in order: never all in memory).
    """
    if isinstance(data, Path):
        fileobj: IO[bytes] = data.open("rb")
    elif isinstance(data, bytes | bytearray):
        fileobj = io.BytesIO(data)
    else:
        fileobj = io.BufferedReader(_ChunkReader(iter(data)), CHUNK)
    entries: list[tuple[str, bytes, bytes]] = []
    with fileobj, tarfile.open(fileobj=fileobj, mode="r|") as tar:
        for m in tar:
            body = hashlib.sha256()
            f = tar.extractfile(m) if m.isfile() else None
            while f is not None and (chunk := f.read(CHUNK)):
                body.update(chunk)
            mtime = 0 if m.isdir() else int(m.mtime)
            # permission bits only: Docker also writes the file type into the mode field, GNU
            # tar does not (the type is m.type)
            perm = m.mode & 0o7777
            name = m.name.strip("/")
            head = [name, m.type.decode(), perm, m.uid, m.gid, m.linkname, mtime]
            entries.append((name, json.dumps(head).encode(), body.digest()))
    h = hashlib.sha256()
    for _name, head_json, body_digest in sorted(entries, key=lambda e: e[0]):
        h.update(head_json)
        h.update(body_digest)
    return h.hexdigest()


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (for tarfile's stream mode)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def stream_atomic(path: Path, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write a stream to ``path`` as write_atomic does, hashing it on the way: returns the size
    and the sha256. Never holds more than one chunk in memory."""

    def write(f: BinaryIO) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            f.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        return size, digest.hexdigest()

    return fill_atomic(path, write)


def fill_atomic(path: Path, write: Callable[[BinaryIO], tuple[int, str]]) -> tuple[int, str]:
    """Let ``write`` fill a temporary file next to ``path`` (returning its size and sha256),
    make it durable, then rename it into place: readers never see a part, and a failure leaves
    nothing behind."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as f:
            result = write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so readers see the old or the new content, never a part."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class VolumeArchive:
    type: str  # "volume" | "bind"
    name: str  # volume name ("" for a bind mount)
    destination: str  # path inside the container
    source: str
    file: str  # relative to the backup folder
    size: int
    sha256: str  # of the archive file: integrity
    # tar_content_digest ("did the volume change?"): only older backups store it; it costs a
    # second pass over the archive, so it is computed when a deploy's self-restore asks.
    content: str = ""
    # who read the files: "engine" (its archive API) or "host" (GNU tar on this machine, when it
    # is the engine's host: runtimes.host_volumes)
    read_by: str = "engine"


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict[str, Any]
    volumes: tuple[VolumeArchive, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def service(self) -> str:
        return str(self.manifest["service"])

    @property
    def engine(self) -> str:
        return str(self.manifest["engine"])

    @property
    def container_name(self) -> str:
        return str(self.manifest["container_name"])

    @property
    def created(self) -> str:
        return str(self.manifest["created"])

    @property
    def image(self) -> str:
        return str(self.manifest["image_reference"])

    @property
    def image_id(self) -> str:
        return str(self.manifest["image_id"])

    @property
    def inspect(self) -> dict[str, Any]:
        return dict(self.manifest["inspect"])

    @property
    def size(self) -> int:
        return sum(v.size for v in self.volumes)

    def content_digest(self, volume: VolumeArchive) -> str:
        """What the volume's archive contains (``tar_content_digest``), read from the archive
        unless the manifest stored it."""
        return volume.content or tar_content_digest(self.path / volume.file)


@dataclass(frozen=True)
class VerifyResult:
    backup: Backup
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            return f"Backup {self.backup.id} is intact ({len(self.backup.volumes)} archive(s))."
        return f"Backup {self.backup.id} is damaged: " + "; ".join(self.problems)


def _load(path: Path) -> Backup:
    manifest = json.loads((path / MANIFEST).read_text("utf-8"))
    known = {f.name for f in fields(VolumeArchive)}
    # keys a newer version may add are ignored rather than making the backup unreadable
    volumes = tuple(
        VolumeArchive(**{k: val for k, val in v.items() if k in known})
        for v in manifest.get("volumes", [])
    )
    return Backup(path, manifest, volumes)


class BackupStore:
    """``host_read``: read mounts with tar on this machine when it provably is the engine's
    host (``runtimes.host_volumes``), else — and on any failure — through the archive API."""

    def __init__(self, root: Path | None = None, *, host_read: bool = True) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.host_read = host_read

    # -- reading
    def list(self, service: str | None = None) -> builtins.list[Backup]:
        """Complete backups, newest first (unreadable folders are skipped, not fatal)."""
        out: list[Backup] = []
        if not self.root.is_dir():
            return out
        dirs = [self.root / safe_name(service)] if service else sorted(self.root.iterdir())
        for sdir in dirs:
            if not sdir.is_dir() or sdir.name.startswith("."):
                continue
            for bdir in sdir.iterdir():
                if bdir.name.startswith(".") or not (bdir / MANIFEST).is_file():
                    continue
                with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                    out.append(_load(bdir))
        return sorted(out, key=lambda b: (b.created, b.path.name), reverse=True)

    def known_digests(self, service: str) -> builtins.list[str]:
        """Every image a service ran according to its backups (repo digests, else image ids)."""
        seen: dict[str, None] = {}
        for b in self.list(service):
            for d in b.manifest.get("repo_digests") or []:
                seen[d] = None
            seen[b.image_id] = None
        return list(seen)

    def verify(self, backup: Backup) -> VerifyResult:
        problems = []
        for v in backup.volumes:
            label = v.name or v.destination
            f = backup.path / v.file
            if not f.is_file():
                problems.append(f"the archive of {label} ({v.file}) is missing")
            elif f.stat().st_size != v.size or sha256_file(f) != v.sha256:
                problems.append(
                    f"the archive of {label} ({v.file}) is corrupted (checksum differs)"
                )
        return VerifyResult(backup, tuple(problems))

    # -- writing
    def create(
        self,
        engine: ContainerEngine,
        container: str,
        *,
        service: str | None = None,
        include_binds: bool = False,
    ) -> Backup:
        inspect = engine.inspect(container)
        name = str(inspect.get("Name", container)).lstrip("/")
        service = service or name
        created = datetime.now(UTC)
        image_id = str(inspect.get("Image", ""))
        sdir = self.root / safe_name(service)
        sdir.mkdir(parents=True, exist_ok=True)
        tmp = sdir / f".tmp-{uuid.uuid4().hex}"
        (tmp / "volumes").mkdir(parents=True)
        try:
            volumes = []
            mounts = [
                m
                for m in named_volumes(inspect)
                if m["type"] == "volume" or (include_binds and m["type"] == "bind")
            ]
            for i, m in enumerate(mounts):
                rel = f"volumes/{i}-{safe_name(m['name'] or m['destination'])}.tar"
                size, sha256, read_by = self._archive_mount(engine, container, m, mounts, tmp / rel)
                volumes.append(
                    VolumeArchive(
                        type=m["type"],
                        name=m["name"],
                        destination=m["destination"],
                        source=m["source"],
                        file=rel,
                        size=size,
                        sha256=sha256,
                        read_by=read_by,
                    )
                )
            manifest = {
                "format": FORMAT,
                "service": service,
                "engine": engine.name,
                "connection": engine.connection,
                "container_name": name,
                "container_id": inspect.get("Id"),
                "state": (inspect.get("State") or {}).get("Status"),
                "image_reference": (inspect.get("Config") or {}).get("Image", image_id),
                "image_id": image_id,
                "repo_digests": engine.repo_digests(image_id),
                "created": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "inspect": inspect,
                "volumes": [v.__dict__ for v in volumes],
            }
            write_atomic(tmp / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
            final = sdir / f"{created.strftime('%Y%m%dT%H%M%S%fZ')}-{safe_name(name)}"
            os.replace(tmp, final)  # the moment the backup becomes visible, complete
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return _load(final)

    def _archive_mount(
        self,
        engine: ContainerEngine,
        container: str,
        mount: dict[str, str],
        mounts: builtins.list[dict[str, str]],
        path: Path,
    ) -> tuple[int, str, str]:
        """Write one mount's archive to ``path``: (size, sha256, who read it)."""
        if self.host_read:

            def on_host(f: BinaryIO) -> tuple[int, str]:
                return archive_on_host(engine, container, mount, mounts, f)

            try:
                return (*fill_atomic(path, on_host), "host")
            except NotOnThisHost:
                pass  # a remote engine, Docker Desktop's VM, not root, id mapping...
            except HostReadError as exc:
                _log.warning(
                    "Reading %s on this machine failed (%s); reading it through the engine.",
                    mount["source"],
                    exc,
                )
        return (*stream_atomic(path, engine.archive_get(container, mount["destination"])), "engine")

    def delete(self, backup: Backup) -> None:
        # Rename first so a half-deleted folder is never listed as a backup.
        doomed = backup.path.with_name(f".tmp-deleting-{uuid.uuid4().hex}")
        os.replace(backup.path, doomed)
        shutil.rmtree(doomed)

    def prune(self, service: str, keep: int) -> builtins.list[Backup]:
        """Delete all but the newest ``keep`` backups of a service; returns the deleted ones.
        Also removes what a crash left of the service's unfinished backups and deletions."""
        if keep < 0:
            raise errors.Invalid("The number of backups to keep cannot be negative.")
        doomed = self.list(service)[keep:]
        for b in doomed:
            self.delete(b)
        self._remove_leftovers(self.root / safe_name(service))
        return doomed

    def _remove_leftovers(self, service_dir: Path) -> None:
        # ".tmp-" folders are backups being written or deleted; one untouched for a day belongs
        # to a process that is gone (a backup in progress writes to its folder all the time),
        # and may hold gigabytes nobody will ever see: the list ignores such folders.
        if not service_dir.is_dir():
            return
        cutoff = time.time() - STALE_TMP_S
        for leftover in service_dir.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if leftover.is_dir() and _newest_mtime(leftover) < cutoff:
                    shutil.rmtree(leftover)

    def restore(
        self,
        engine: ContainerEngine,
        backup: Backup,
        *,
        start: bool | None = None,
        progress: Progress | None = None,
        credentials: CredentialLookup | None = None,
    ) -> str:
        """Recreate the container as backed up (old image, old config) with its volume contents.
        ``credentials``: registry logins by host, used only if the image has to be pulled again.

        An existing container of that name is replaced; named volumes are emptied (recreated with
        the same driver/options/labels) before their archive goes back, so files added since the
        backup do not survive. Returns the new container id.

        All or nothing: everything that can be checked is checked before anything is touched
        (checksums, the image), and the container being replaced is first backed up aside; if
        recreating fails, that one is put back from it (configuration, volumes, running state)
        and the error says so in one sentence.
        """
        report = progress or _no_progress
        name = backup.container_name
        report("check", f"Checking backup {backup.id} and its image")
        check = self.verify(backup)
        if not check.ok:
            raise errors.Refused(f"Not restoring: {check}")
        image = self._restorable_image(engine, backup, credentials)
        safety: Backup | None = None
        if engine.exists(name):
            report("safety", f"Backing up the current {name} so a failed restore can put it back")
            try:
                safety = BackupStore(self.root / SAFETY_DIR).create(
                    engine, name, service=backup.service
                )
            except OSError as exc:
                raise errors.OperationError(
                    f"Nothing was restored: backing up the current {name} first failed ({exc})."
                ) from exc
        should_start = backup.manifest.get("state") == "running" if start is None else start
        stage = ["removing the current container"]
        try:
            new_id = _recreate(engine, backup, image, should_start, report, stage)
        except (errors.OperationError, OSError) as exc:
            cause = exc.sentence if isinstance(exc, errors.OperationError) else str(exc)
            why = f"Restoring {name} from backup {backup.id} failed while {stage[0]} ({cause})"
            kind = type(exc) if isinstance(exc, errors.OperationError) else errors.OperationError
            report("rollback", f"{why}; putting the previous {name} back")
            try:
                if safety is not None:
                    _recreate(
                        engine,
                        safety,
                        self._restorable_image(engine, safety, credentials),
                        safety.manifest.get("state") == "running",
                        _no_progress,
                        ["putting it back"],
                    )
                elif engine.exists(name):
                    engine.remove(name)  # there was none before: leave none behind
            except (errors.OperationError, OSError) as again:
                kept = (
                    f" Its configuration and volumes are kept in {safety.path}." if safety else ""
                )
                raise kind(
                    f"{why}, and putting the previous {name} back failed too ({again}).{kept}"
                ) from exc
            if safety is not None:
                self.delete(safety)
                state = "runs again" if safety.manifest.get("state") == "running" else "is back"
                raise kind(f"{why}; the previous {name} {state}, as it was.") from exc
            raise kind(f"{why}; nothing was left behind.") from exc
        if safety is not None:
            self.delete(safety)
        return new_id

    def _restorable_image(
        self, engine: ContainerEngine, backup: Backup, credentials: CredentialLookup | None = None
    ) -> str:
        """The image to recreate on: the backup's exact image id (its reference when that still
        names it), pulled by digest or reference if gone. Raises, touching nothing, when the
        exact image cannot be had."""
        image = backup.image_id
        if engine.image_id(image) is None:
            digests = backup.manifest.get("repo_digests") or []
            source = digests[0] if digests else backup.image
            try:
                engine.pull(source, registry_login(credentials, source))
            except errors.OperationError as exc:
                raise type(exc)(
                    f"Nothing was restored: the image {backup.image} ({image[:19]}) that backup "
                    f"{backup.id} ran is no longer on the engine and pulling {source} failed: "
                    f"{exc.sentence}",
                    hint=exc.hint,
                ) from exc
            if engine.image_id(image) is None:
                raise errors.NotFound(
                    f"Nothing was restored: the image {image[:19]} that backup {backup.id} ran is "
                    f"gone, and {source} now names another image."
                )
        # Create on the image id (exactly the old image) but keep the human reference visible.
        return backup.image if engine.image_id(backup.image) == image else image


def registry_login(
    credentials: CredentialLookup | None, reference: str
) -> RegistryCredentials | None:
    """The stored login for the registry ``reference`` names (``docker.io`` when it names none),
    or None. A keyring that cannot be read raises its OperationError: pulling anonymously instead
    would only end in a misleading "needs a login"."""
    if credentials is None:
        return None
    try:
        registry = parse_image_ref(reference).registry.lower()
    except ImageRefError:
        return None  # the pull itself will say what is wrong with the reference
    return credentials(registry or DOCKER_HUB)


SAFETY_DIR = ".restore-safety"  # hidden: ``list`` skips dot folders, so these never show

Progress = Callable[[str, str], None]


def _no_progress(step: str, message: str) -> None:
    pass


def _recreate(
    engine: ContainerEngine,
    backup: Backup,
    image: str,
    start: bool,
    report: Progress,
    stage: builtins.list[str],
) -> str:
    """Replace the container named in ``backup`` by one built from it; ``stage[0]`` says what
    it was doing when it fails."""
    name = backup.container_name
    if engine.exists(name):
        report("remove", f"Removing the current {name}")
        engine.remove(name)
    stage[0] = "emptying its volumes"
    report("volumes", f"Emptying the volumes of {name}")
    for v in backup.volumes:
        if v.type == "volume" and v.name:
            engine.reset_volume(v.name)
    stage[0] = "creating the container"
    report("create", f"Creating {name} on {image}")
    new_id = engine.create_like(backup.inspect, image, name)
    stage[0] = "putting the volume contents back"
    report("volumes", f"Putting the volume contents of {name} back")
    for v in backup.volumes:
        put_volume(engine, new_id, v.destination, backup.path / v.file)
    if start:
        stage[0] = "starting the container"
        report("start", f"Starting {name}")
        engine.start(new_id)
    return new_id


def put_volume(
    engine: ContainerEngine, container: str, destination: str, data: bytes | Path
) -> None:
    """Put a volume archive (members "data", "data/...") back into the volume at ``destination``.

    The files go *into the destination itself*, the archive's top directory stripped: Podman
    resolves a volume only when the target path lies inside it, so on a container that is not
    running an archive put into the parent would land in the image's directory under the mount
    point, not in the volume. The top directory's own entry (mode, owner, mtime) is then put into
    the parent, alone and last: Docker applies a directory's attributes only to entries it
    extracts by name (not to "."), and only after the files, or their writes would move its mtime.
    """
    dest = destination.rstrip("/") or "/"
    top = posixpath.basename(dest)
    source: IO[bytes] = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    # The rewritten archive goes to a temporary file and is streamed from there: a volume may
    # be far larger than memory.
    with source, tempfile.TemporaryFile() as files:
        own = io.BytesIO()  # one header
        with (
            tarfile.open(fileobj=source, mode="r|") as src,
            tarfile.open(fileobj=files, mode="w:", format=tarfile.PAX_FORMAT) as dst,
            tarfile.open(fileobj=own, mode="w:", format=tarfile.PAX_FORMAT) as dst_own,
        ):
            _rebase_members(src, dst, dst_own, top)
        files.seek(0)
        engine.archive_put(container, dest, files)
    if top and dest != "/":
        engine.archive_put(container, posixpath.dirname(dest) or "/", own.getvalue())


def _rebase_members(
    src: tarfile.TarFile, dst: tarfile.TarFile, dst_own: tarfile.TarFile, top: str
) -> None:
    """Copy ``src``'s members into ``dst`` with ``top/`` taken off their names (and hard-link
    targets); the entry of ``top`` itself goes to ``dst_own``."""
    for m in src:
        name = m.name.strip("/")
        if name in (top, ""):
            m.name = top
            dst_own.addfile(m)
            continue
        f = src.extractfile(m) if m.isfile() else None
        m.name = _below(top, name)
        if m.islnk():  # a hard link names another member: it moves with the names
            m.linkname = _below(top, m.linkname.strip("/"))
        # A long or non-ASCII name came in a PAX "path" record, which tarfile would write
        # back unchanged (it wins over the new name): drop the stale records.
        m.pax_headers = {k: v for k, v in m.pax_headers.items() if k not in ("path", "linkpath")}
        dst.addfile(m, f)


def _newest_mtime(folder: Path) -> float:
    """The latest change anywhere in ``folder`` (it and the files and folders in it)."""
    newest = folder.stat().st_mtime
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            newest = max(newest, path.lstat().st_mtime)
    return newest


def _below(top: str, name: str) -> str:
    return name[len(top) + 1 :] if name.startswith(top + "/") else name


def volume_digest(engine: ContainerEngine, container: str, volume: VolumeArchive) -> str:
    """What ``volume`` holds now in ``container`` (``tar_content_digest``), read the way its
    backup was: the two readers record the same files differently (Podman's archive API names
    root as every owner and rounds times to the nearest second; tar and Docker truncate)."""
    if volume.read_by == "host":
        mounts = named_volumes(engine.inspect(container))
        mount = next((m for m in mounts if m["destination"] == volume.destination), None)
        source = host_directory(engine, container, mount, mounts) if mount else None
        if source is not None:
            top = posixpath.basename(volume.destination.rstrip("/"))
            # a tar that dies midway ends the stream early: tarfile then fails first
            with contextlib.suppress(HostReadError, tarfile.TarError):
                return tar_content_digest(tar_directory(source, top))
    return tar_content_digest(engine.archive_get(container, volume.destination))
