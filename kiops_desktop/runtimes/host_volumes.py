"""Read a mount's files straight from disk when this machine is the engine's host.

The engines' archive API (``GET /containers/{id}/archive``) is the way to read a volume that
works everywhere, but it is slow: the engine re-executes itself into the container's root, tars
there and copies the stream through a pipe and then HTTP — 2-3x plain ``tar`` of the same
directory on our machines. Podman's also names the caller as every file's owner and rounds
times to the second. When the mount's source directory is on this machine we can do what
``podman volume export`` does for local volumes: tar the directory here.

Only when it is provably the same directory, with the same owners:

* the path is a directory this process can read (root for a rootful engine's volumes; an
  operator in the ``docker`` group cannot, and keeps the API);
* its mtime equals, to the nanosecond, the mtime the engine reports for the mount inside the
  container (``HEAD /containers/{id}/archive``), and so do its permissions: a same-named
  directory elsewhere (Docker Desktop's VM, a remote engine, a stale path) does not pass;
* owners inside the container are owners on disk: the adapter answers nothing for a rootless
  engine or one that remaps user namespaces (Docker: ``SecurityOptions``; Podman: rootless,
  id mappings of the engine or the container), where a host-side archive would record shifted
  owners;
* no other mount of the container lies below it (the API would include that mount's files);
* GNU tar is installed (``--transform`` names the members as the engine does).

The archive has the engine's member layout ("data", "data/...") and numeric owners. Everything
else — and any failure while reading — falls back to the API (see ``ops.backups``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import posixpath
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO

from kiops_desktop.runtimes.containers import ContainerEngine

if sys.platform != "win32":
    import fcntl

# A member name we put into a sed expression for --transform without escaping anything.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.@+=:-]+")
_PIPE_SIZE = 1 << 20  # a 1 MiB pipe lets tar's 10 KiB writes reach us in large reads
_F_SETPIPE_SZ = 1031  # Linux's fcntl number (the fcntl module names it only on some builds)
_READ = 1 << 20
_HASH_READ = 4 << 20
_CATCH_UP_S = 0.002
_WRITE_BACK = 16 << 20
# GNU tar's exit status 1 in create mode: a file changed while it was read. The engine's tar
# would have copied the same moving file without a word; it is not a reason to fail a backup.
_TAR_FILE_CHANGED = 1


class HostReadError(Exception):
    """tar could not read the directory; the caller reads through the engine instead."""


class NotOnThisHost(HostReadError):
    """The mount's directory is not (provably) here: the usual case for remote engines."""


@functools.cache
def gnu_tar() -> str | None:
    """The path of GNU tar, or None (absent, or another tar such as bsdtar; never on Windows,
    where no engine keeps its volumes on the same file system as the app)."""
    if sys.platform == "win32":
        return None
    path = shutil.which("tar")
    if path is None:
        return None
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "GNU tar" in out else None


@dataclass(frozen=True)
class _Candidate:
    source: str
    destination: str
    top: str  # the archive's top member: the destination's base name, as the engine names it
    on_disk: os.stat_result


def _candidate(mount: Mapping[str, str], mounts: Sequence[Mapping[str, str]]) -> _Candidate | None:
    """The local checks: a readable directory at the mount's source, no mount below it, a name
    tar can be told about, GNU tar."""
    source, destination = mount.get("source", ""), mount.get("destination", "").rstrip("/")
    top = posixpath.basename(destination)
    if not source or not destination or not _PLAIN_NAME.fullmatch(top) or top in (".", ".."):
        return None
    if any(
        other is not mount and other.get("destination", "").startswith(destination + "/")
        for other in mounts
    ):
        return None
    if gnu_tar() is None:
        return None
    try:
        on_disk = os.stat(source)
    except OSError:
        return None
    if not stat.S_ISDIR(on_disk.st_mode) or not os.access(source, os.R_OK | os.X_OK):
        return None
    return _Candidate(source, destination, top, on_disk)


def _engine_agrees(engine: ContainerEngine, container: str, candidate: _Candidate) -> bool:
    """Whether the engine's view of the mount is this directory (see the module docstring)."""
    try:
        probe = engine.probe_path(container, candidate.destination)
    except Exception:  # any failure to ask means: read through the engine
        return False
    on_disk = candidate.on_disk
    return not (
        probe is None
        or not probe.is_dir
        or probe.mtime_ns != on_disk.st_mtime_ns
        or probe.perm != stat.S_IMODE(on_disk.st_mode) & 0o777
    )


def host_directory(
    engine: ContainerEngine,
    container: str,
    mount: Mapping[str, str],
    mounts: Sequence[Mapping[str, str]] = (),
) -> str | None:
    """The directory on this machine that holds ``mount`` (``named_volumes`` shape), if it can
    be read here as the engine would read it; None when the archive API must be used."""
    candidate = _candidate(mount, mounts)
    if candidate is None or not _engine_agrees(engine, container, candidate):
        return None
    return candidate.source


def archive_on_host(
    engine: ContainerEngine,
    container: str,
    mount: Mapping[str, str],
    mounts: Sequence[Mapping[str, str]],
    out: BinaryIO,
) -> tuple[int, str]:
    """Archive ``mount`` into ``out`` with tar on this machine: (size, sha256).

    Raises ``NotOnThisHost`` when the directory is not provably the engine's and
    ``HostReadError`` when tar fails; ``out`` then holds something to discard. The engine is
    asked while tar already runs (a few ms for Docker; Podman's first answer takes ~0.25 s),
    and the archive counts only if the answer matches the directory as it was before tar
    began.
    """
    candidate = _candidate(mount, mounts)
    if candidate is None:
        raise NotOnThisHost(f"{mount.get('source')} is not a directory tar can read here")
    with ThreadPoolExecutor(1, thread_name_prefix="kiops-probe") as pool:
        agrees = pool.submit(_engine_agrees, engine, container, candidate)
        result = tar_into(candidate.source, candidate.top, out)
        if not agrees.result():
            raise NotOnThisHost(f"{candidate.source} is not the engine's directory")
    return result


def tar_directory(source: str, top: str) -> Iterator[bytes]:
    """The contents of ``source`` as a tar stream with members ``top`` and ``top/...``.

    Raises ``HostReadError`` (before or after some chunks) when tar fails; the partial output
    must then be discarded. Closing the generator early stops tar.
    """
    with _tar(source, top, subprocess.PIPE) as proc:
        assert proc.stdout is not None
        try:
            if sys.platform == "linux":
                with contextlib.suppress(OSError):  # a smaller pipe only costs speed
                    fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
            while chunk := proc.stdout.read(_READ):
                yield chunk
        finally:
            proc.stdout.close()


def tar_into(source: str, top: str, out: BinaryIO) -> tuple[int, str]:
    """Write the archive of ``source`` (as ``tar_directory``) into ``out``, an empty file
    opened by path; returns its size and sha256.

    tar writes the file itself while this thread hashes what has reached it so far: on two
    cores that costs about what plain tar costs, where passing the bytes through Python (read,
    write, hash) costs 1.6-2x. Raises ``HostReadError`` when tar fails; ``out`` then holds a
    partial archive the caller discards.
    """
    if not isinstance(out.name, str):  # the hashing side opens the file again by its path
        raise HostReadError("tar_into needs a file opened by path")
    digest, size, written_back = hashlib.sha256(), 0, 0
    buf = bytearray(_HASH_READ)
    view = memoryview(buf)
    with _tar(source, top, out) as proc, open(out.name, "rb", buffering=0) as grown:
        while True:
            n = grown.readinto(buf)
            if n:
                digest.update(view[:n])
                size += n
                if size - written_back >= _WRITE_BACK and hasattr(os, "posix_fadvise"):
                    # Start writing the hashed part to disk now (and let it leave the page
                    # cache): the caller's fsync then has ~nothing left to wait for.
                    os.posix_fadvise(
                        grown.fileno(), written_back, size - written_back, os.POSIX_FADV_DONTNEED
                    )
                    written_back = size
                continue
            # Caught up with tar: wait for more bytes or for its end, then read what is left.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=_CATCH_UP_S)
            if proc.returncode is not None:
                while n := grown.readinto(buf):
                    digest.update(view[:n])
                    size += n
                break
    return size, digest.hexdigest()


@contextlib.contextmanager
def _tar(source: str, top: str, stdout: Any) -> Iterator[subprocess.Popen[bytes]]:
    """GNU tar creating the archive of ``source`` on ``stdout``; when the block ends, tar has
    exited (killed if the block left early) and a failure is a ``HostReadError``."""
    tar = gnu_tar()
    if tar is None or not _PLAIN_NAME.fullmatch(top):
        raise HostReadError("GNU tar is not available here")
    argv = [
        tar,
        "--create",
        "--file=-",
        "--numeric-owner",  # owners as numbers, as the engine applies them on restore
        # file capabilities, the one extended attribute Docker's archives carry; with only the
        # headers that need them (GNU tar would add atime/ctime/mtime records to every file)
        "--xattrs",
        "--xattrs-include=security.capability",
        "--pax-option=delete=atime,delete=ctime,delete=mtime",
        f"--directory={source}",
        # "." -> top, "./x" -> top/x, for member and hard-link names; symlink targets untouched
        f"--transform=s,^\\.,{top},S",
        ".",
    ]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            bufsize=0,
            env={**os.environ, "LC_ALL": "C"},
        )
        try:
            yield proc
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code not in (0, _TAR_FILE_CHANGED):
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace").strip().splitlines()
            raise HostReadError(detail[-1] if detail else f"tar exited with status {code}")
