"""What the deploy dialog needs besides widgets: the versions a container can move to (read off
the UI thread), their one-line labels, the filter, and the deploy job with its safe cancel points.

No Qt here: the dialog calls these from task-runner jobs (``load_versions``, ``run_deploy``) or
with data already loaded (``version_label``, ``filter_versions``, ``target_for``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from ..core.images import ImageRefError, ImageVersion, parse_image_ref
from ..ops.audit import AuditLog
from ..ops.backups import Backup, BackupStore
from ..ops.deploy import DeployResult, deploy
from ..ops.versions import find_by_commit, image_revisions, image_versions, short_digest
from ..runtimes import errors
from ..runtimes.containers import ContainerEngine
from ..runtimes.registry import (
    DOCKER_HUB,
    CredentialLookup,
    RegistryClient,
    RegistryCredentials,
    parse_created,
)
from .pods_columns import human_duration

log = logging.getLogger(__name__)

_HEX = re.compile(r"^(?:sha256:)?[0-9a-f]{4,64}$")
_HUB_NAMES = frozenset({"", "docker.io", "index.docker.io", "registry-1.docker.io"})


@dataclass(frozen=True)
class Running:
    """What the container runs now, from its inspect."""

    container: str
    image: str  # the reference it was created from
    image_id: str
    repository: str  # of ``image``, registry included ("" when created from a bare id)
    digest: str | None  # its registry digest when the engine knows one
    state: str
    volumes: tuple[str, ...] = ()  # its mounts: volume names, else the paths they mount on


@dataclass(frozen=True)
class VersionList:
    running: Running
    versions: tuple[ImageVersion, ...]
    registry: str | None  # the registry asked ("docker.io", "127.0.0.1:5000"), None: none
    registry_problem: str  # why the registry's tags are missing ("" when they are not)
    revisions: dict[str, str] = field(default_factory=dict)  # image id / digest -> commit
    known_digests: tuple[str, ...] = ()  # from the service's backups


def registry_for(image: str, repo_digests: Iterable[str]) -> str | None:
    """The registry whose tags belong in the list, or None for an image built locally.

    A reference that names a registry is asked there (Podman's ``localhost/`` prefix means "no
    registry", not a server on port 443). A short name (Docker Hub's form) is asked on Docker Hub
    only when the image came from there (it has a Docker Hub repo digest): images built or
    imported on this machine have no registry to ask, and asking anyway would send their names to
    Docker Hub.
    """
    try:
        ref = parse_image_ref(image)
    except ImageRefError:
        return None
    if ref.registry and ref.registry.lower() not in _HUB_NAMES:
        return None if ref.registry == "localhost" else ref.registry
    for entry in repo_digests:
        name = entry.partition("@")[0]
        with contextlib.suppress(ImageRefError):
            other = parse_image_ref(name)
            if other.registry.lower() in _HUB_NAMES and other.repository.removeprefix(
                "library/"
            ) == ref.repository.removeprefix("library/"):
                return DOCKER_HUB
    return None


def read_running(engine: ContainerEngine, container: str) -> Running:
    inspect = engine.inspect(container)
    image = str((inspect.get("Config") or {}).get("Image") or "")
    image_id = str(inspect.get("Image") or "")
    repository = ""
    pinned: str | None = None
    if image and not image.startswith("sha256:"):
        with contextlib.suppress(ImageRefError):
            ref = parse_image_ref(image)
            repository, pinned = ref.name, ref.digest
    digest = pinned
    if digest is None and image_id:
        for entry in engine.repo_digests(image_id):
            name, _, found = entry.partition("@")
            if found and name.removeprefix("localhost/") == repository.removeprefix("localhost/"):
                digest = found
                break
    return Running(
        container=str(inspect.get("Name") or container).lstrip("/"),
        image=image,
        image_id=image_id,
        repository=repository,
        digest=digest,
        state=str((inspect.get("State") or {}).get("Status") or ""),
        volumes=tuple(
            str(m.get("Name") or m.get("Destination") or "") for m in inspect.get("Mounts") or []
        ),
    )


def load_versions(
    engine: ContainerEngine,
    container: str,
    *,
    store: BackupStore,
    service: str,
    credentials: Callable[[str], Any] | None = None,
) -> VersionList:
    """The container's versions: local images of its repository, the registry's tags (when it
    has a registry), digests its backups remember. Blocks: call from a job. A registry that
    fails leaves the local versions and says why in ``registry_problem``."""
    running = read_running(engine, container)
    if not running.repository:
        raise errors.Invalid(
            f"{running.container} was created from the image id {running.image[:19]}, not from "
            "a repository: there are no versions to list. Type a reference in the filter box."
        )
    known: list[str] = []
    with contextlib.suppress(OSError, KeyError, ValueError):  # a damaged backup hides nothing
        known = store.known_digests(service)
    repo_digests = engine.repo_digests(running.image_id) if running.image_id else []
    registry = registry_for(running.image, repo_digests)
    problem = ""
    client: RegistryClient | None = None
    if registry is not None:
        try:
            client = RegistryClient(registry, credentials=credentials)
        except errors.OperationError as exc:
            problem = exc.sentence
    try:
        versions = image_versions(
            engine,
            running.repository,
            registry=client,
            running_image_id=running.image_id or None,
            known_digests=known,
        )
    except errors.OperationError as exc:
        if client is None:
            raise
        # The registry failed (down, login needed): the local versions are still worth seeing.
        problem = exc.sentence + (f" {exc.hint}" if exc.hint else "")
        versions = image_versions(
            engine,
            running.repository,
            registry=None,
            running_image_id=running.image_id or None,
            known_digests=known,
        )
    revisions: dict[str, str] = {}
    with contextlib.suppress(errors.OperationError):  # commit lookup by label is a bonus
        revisions = image_revisions(engine, versions)
    return VersionList(
        running=running,
        versions=tuple(versions),
        registry=registry,
        registry_problem=problem,
        revisions=revisions,
        known_digests=tuple(known),
    )


# --------------------------------------------------------------------------- labels, filter


def age_of(created: str | None, now: datetime | None = None) -> str:
    when = parse_created(created) if created else None
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    return human_duration((now - when).total_seconds()) + " ago"


def where_text(v: ImageVersion) -> str:
    if v.local and v.in_registry:
        return "local + registry"
    if v.in_registry:
        return "registry"
    if v.local:
        return "local"
    return "known from a backup"


def version_label(v: ImageVersion, now: datetime | None = None) -> str:
    """``v2 · sha256:0123456789ab · 3d ago · local + registry``, the running one marked."""
    name = v.tag if v.tag else "pinned digest"
    # A registry digest when one is known; else the local image id, said so (they differ).
    if v.digest:
        ident = short_digest(v.digest)
    else:
        ident = "id " + short_digest(v.image_id or "").removeprefix("sha256:")
    parts = [name, ident, age_of(v.created, now), where_text(v)]
    text = " · ".join(p for p in parts if p)
    return f"● {text}  (running)" if v.running else text


def version_tooltip(v: ImageVersion) -> str:
    lines = [v.reference]
    if v.digest:
        lines.append(f"digest {v.digest}")
    if v.image_id:
        lines.append(f"image id {v.image_id}")
    if v.created:
        lines.append(f"created {v.created}")
    if not v.tag:
        lines.append("No tag names this image any more: it can only be deployed by its digest.")
    return "\n".join(lines)


def filter_versions(
    versions: Sequence[ImageVersion], text: str, revisions: dict[str, str] | None = None
) -> list[ImageVersion]:
    """Versions whose tag, digest, image id or repository contains ``text``; hex text also
    finds versions built from that commit (tag ``branch-sha`` or the revision label)."""
    needle = text.strip().lower()
    if not needle:
        return list(versions)
    found = [
        v
        for v in versions
        if any(needle in (part or "").lower() for part in (v.tag, v.digest, v.image_id))
        or needle in v.repository.lower()
    ]
    if _HEX.match(needle):
        by_commit = find_by_commit(versions, needle.removeprefix("sha256:"), revisions=revisions)
        found += [v for v in by_commit if v not in found]
        found.sort(key=list(versions).index)
    return found


def deployable(reference: str) -> str:
    """The reference as ``ops.deploy`` should get it: Podman names local-only images
    ``localhost/REPO``, and a reference naming a registry is pulled from it, so ``localhost/`` (no
    port: not a registry here) is dropped; Podman resolves the short name to the local image."""
    if reference.startswith("localhost/"):
        return reference.removeprefix("localhost/")
    return reference


def target_for(v: ImageVersion, *, pin: bool) -> str:
    """What to deploy for a chosen version: its tag, or ``repository@digest`` when pinned (or
    when no tag names it any more)."""
    if (pin or not v.tag) and v.digest:
        return deployable(f"{v.repository}@{v.digest}")
    return deployable(v.reference)


# --------------------------------------------------------------------------- the deploy job


class _CancelPoints:
    """Where a deploy may still be cancelled: until the old container is touched.

    ``deploy`` has no cancel argument; it reports each step first, pulls through the engine and
    writes the backup through the store. Raising ``Cancelled`` from those places (all before the
    switch) makes it refuse with "Nothing was changed"; from the first ``stop`` report on, the
    deploy runs to its end (and restores on failure), whatever the operator clicks.
    """

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.passed = False  # the old container is being replaced: too late to cancel

    def check(self) -> None:
        if self.cancel.is_set() and not self.passed:
            raise errors.Cancelled("The deploy was cancelled before anything was changed.")


class _CancellableEngine:
    """The engine, with a cancel point after the pull (it may take long)."""

    def __init__(self, engine: ContainerEngine, points: _CancelPoints) -> None:
        self._engine = engine
        self._points = points

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def pull(self, reference: str, credentials: RegistryCredentials | None = None) -> str:
        image_id = self._engine.pull(reference, credentials)
        self._points.check()
        return image_id


class _CancellableStore:
    """The backup store, with a cancel point after the backup (the backup is then deleted:
    it saved a state that stays as it is)."""

    def __init__(self, store: BackupStore, points: _CancelPoints) -> None:
        self._store = store
        self._points = points

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def create(self, *args: Any, **kwargs: Any) -> Backup:
        backup = self._store.create(*args, **kwargs)
        if self._points.cancel.is_set():
            with contextlib.suppress(OSError, errors.OperationError):
                self._store.delete(backup)
            self._points.check()
        return backup


def run_deploy(
    engine: ContainerEngine,
    container: str,
    target: str,
    *,
    store: BackupStore,
    backup: bool,
    health_timeout: float,
    service: str,
    keep: int | None,
    audit: AuditLog | None,
    cancel: threading.Event,
    progress: Callable[[str, str], None],
    credentials: CredentialLookup | None = None,
    connection: str | None = None,
) -> DeployResult:
    """``ops.deploy.deploy`` with cancel points before the switch (see ``_CancelPoints``)."""
    points = _CancelPoints(cancel)

    def report(step: str, message: str) -> None:
        if step in ("pull", "backup"):
            points.check()
        else:  # "stop" and after: the old container is being touched
            points.passed = True
        progress(step, message)

    return deploy(
        cast(ContainerEngine, _CancellableEngine(engine, points)),
        container,
        target,
        store=cast(BackupStore, _CancellableStore(store, points)),
        backup=backup,
        health_timeout=health_timeout,
        progress=report,
        audit=audit,
        service=service,
        keep=keep,
        credentials=credentials,
        connection=connection,
    )
