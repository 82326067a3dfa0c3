"""Read a mount's files straight from disk when this machine is the engine's host.

The engines' archive API (``GET /containers/{id}/archive``) is the way to read a volume that
works everywhere, but it is slow: the engine re-executes itself into the container's root, tars
there and copies the stream through a pipe and then HTTP — 2-3x plain ``tar`` of the same
directory on our machines. When the mount's source directory is on this machine we can do what
``podman volume export`` does for local volumes: tar the directory here.

Only when it is provably the same directory, with the same owners:

* the path is a directory this process can read (root for a rootful engine's volumes; an
  operator in the ``docker`` group cannot, and keeps the API);
* its mtime equals, to the nanosecond, the mtime the engine reports for the mount inside the
  container, and so do its permissions — a same-named directory elsewhere (Docker Desktop's VM,
  a remote engine, a stale path) does not pass;
* owners inside the container are owners on disk: Docker reports the mount's owner as the
  container sees it, and it must equal the owner on disk (with rootless engines and
  user-namespace remapping they differ, and a host-side archive would record shifted owners);
  Podman's archives carry no owners, so its adapter checks instead that neither the engine
  (rootless) nor the container (``--uidmap``, ``--userns``) maps ids;
* no other mount of the container lies below it (the API would include that mount's files);
* GNU tar is installed (``--transform`` names the members as the engine does).

The archive has the engine's member layout ("data", "data/...") and numeric owners. Everything
else — and any failure while reading — falls back to the API (see ``ops.backups``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import IO

from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine

if sys.platform != "win32":
    import fcntl

# A member name we put into a sed expression for --transform without escaping anything.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.@+=:-]+")
_PIPE_SIZE = 1 << 20  # a 1 MiB pipe lets tar's 10 KiB writes reach us in large reads
_F_SETPIPE_SZ = 1031  # Linux's fcntl number (the fcntl module names it only on some builds)
_READ = 1 << 20
# GNU tar's exit status 1 in create mode: a file changed while it was read. The engine's tar
# would have copied the same moving file without a word; it is not a reason to fail a backup.
_TAR_FILE_CHANGED = 1


class HostReadError(Exception):
    """tar could not read the directory; the caller reads through the engine instead."""


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


def host_directory(
    engine: ContainerEngine,
    container: str,
    mount: Mapping[str, str],
    mounts: Sequence[Mapping[str, str]] = (),
) -> str | None:
    """The directory on this machine that holds ``mount`` (``named_volumes`` shape), if it can
    be read here as the engine would read it; None when the archive API must be used."""
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
    try:
        probe = engine.probe_path(container, destination)
    except errors.OperationError:
        return None
    if (
        probe is None
        or not probe.is_dir
        or probe.mtime_ns != on_disk.st_mtime_ns
        or probe.perm != stat.S_IMODE(on_disk.st_mode) & 0o777
        or (probe.uid is not None and probe.uid != on_disk.st_uid)
        or (probe.gid is not None and probe.gid != on_disk.st_gid)
    ):
        return None
    return source


def tar_directory(source: str, top: str) -> Iterator[bytes]:
    """The contents of ``source`` as a tar stream with members ``top`` and ``top/...``.

    Raises ``HostReadError`` (before or after some chunks) when tar fails; the partial output
    must then be discarded. Closing the generator early stops tar.
    """
    tar = gnu_tar()
    if tar is None or not _PLAIN_NAME.fullmatch(top):
        raise HostReadError("GNU tar is not available here")
    argv = [
        tar,
        "--create",
        "--file=-",
        "--numeric-owner",  # owners as numbers, as the engine applies them on restore
        f"--directory={source}",
        # "." -> top, "./x" -> top/x, for member and hard-link names; symlink targets untouched
        f"--transform=s,^\\.,{top},S",
        ".",
    ]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
            env={**os.environ, "LC_ALL": "C"},
        )
        assert proc.stdout is not None
        try:
            if sys.platform == "linux":
                with contextlib.suppress(OSError):  # a smaller pipe only costs speed
                    fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
            yield from _chunks(proc.stdout)
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if code not in (0, _TAR_FILE_CHANGED):
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace").strip().splitlines()
            raise HostReadError(detail[-1] if detail else f"tar exited with status {code}")


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_READ):
        yield chunk
