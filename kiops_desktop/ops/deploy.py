"""Redeploy a Docker/Podman container on another image, with automatic backup and self-restore.

Steps (each reported to ``progress``): resolve & pull -> back up -> stop the old container and
rename it aside -> create the new one with the old configuration on the new image -> start ->
health check -> remove the old one. Any failure after the old container was touched restores it:
the new container goes, the old one gets its name back and starts, and its volumes are put back
from the backup if the new container changed them. ``deploy`` does not raise for expected failures:
the ``DeployResult`` says in one sentence what happened, and the audit log records it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiops_desktop.core.images import ImageRefError, parse_image_ref
from kiops_desktop.ops.audit import AuditLog
from kiops_desktop.ops.backups import Backup, BackupStore, registry_login, volume_digest
from kiops_desktop.runtimes import errors
from kiops_desktop.runtimes.containers import ContainerEngine
from kiops_desktop.runtimes.registry import CredentialLookup

Progress = Callable[[str, str], None]

# "restore" is only reported when a step failed and the previous container is being put back.
STEPS = ("pull", "backup", "stop", "create", "start", "health", "cleanup", "restore")
OLD_SUFFIX = "-kiops-old"


@dataclass(frozen=True)
class DeployResult:
    ok: bool
    outcome: str  # deployed | refused | failed | restored | restore-failed
    sentence: str
    service: str
    from_image: str
    to_image: str
    container_id: str | None = None  # the container now serving (new or restored)
    backup: Backup | None = None
    error: errors.OperationError | None = None
    volumes_restored: bool = False
    failed_logs: str = ""  # the last lines the failed new container wrote, for the operator

    def __str__(self) -> str:
        return self.sentence


def _no_progress(step: str, message: str) -> None:
    pass


def deploy(
    engine: ContainerEngine,
    container: str,
    target_reference: str,
    *,
    store: BackupStore,
    backup: bool = True,
    health_timeout: float = 10.0,
    progress: Progress | None = None,
    audit: AuditLog | None = None,
    service: str | None = None,
    connection: str | None = None,
    keep: int | None = None,
    credentials: CredentialLookup | None = None,
) -> DeployResult:
    """``keep``: after a successful deploy, keep only that many newest backups of the service
    (at least the one just taken); None keeps them all. ``credentials``: registry logins by host
    (``CredentialStore.registry_lookup()``), asked only when the image has to be pulled; the
    secret goes to the engine for that pull and nowhere else (not the result, not the audit)."""
    report = progress or _no_progress
    from_image = ""
    svc = service or container

    def finish(result: DeployResult) -> DeployResult:
        if audit is not None:
            audit.append(
                # The name the operator knows ("docker:default"); the socket address otherwise.
                connection=connection or f"{engine.name}:{engine.connection}",
                service=result.service,
                action="deploy",
                from_=result.from_image,
                to=result.to_image,
                outcome=result.outcome,
                detail=result.sentence,
            )
        return result

    old_running = False

    def refused(exc: errors.OperationError, outcome: str = "refused") -> DeployResult:
        still = " The previous container still runs." if old_running else ""
        return finish(
            DeployResult(
                False,
                outcome,
                f"Nothing was changed: {exc}{still}",
                svc,
                from_image,
                target_reference,
                error=exc,
            )
        )

    # --- pre-flight: nothing is touched until the new image is here and the backup is written
    try:
        ref = parse_image_ref(target_reference)
    except ImageRefError as exc:
        return refused(errors.Invalid(str(exc)))
    try:
        old = engine.inspect(container)
        name = str(old.get("Name", container)).lstrip("/")
        svc = service or name
        from_image = str((old.get("Config") or {}).get("Image", ""))
        old_running = (old.get("State") or {}).get("Status") == "running"
        report("pull", f"Resolving {target_reference}")
        # Unqualified references that exist locally are used as they are: pulling them would
        # ask Docker Hub, which an air-gapped operator may not reach. Podman names images it
        # built or imported "localhost/REPO:TAG": a local namespace, not a registry to pull from.
        local_only = not ref.registry or ref.registry == "localhost"
        image_id = engine.image_id(target_reference) if local_only else None
        if image_id is None:
            report("pull", f"Pulling {target_reference}")
            login = registry_login(credentials, target_reference)
            # Without a login the call keeps its one-argument form: engine wrappers written before
            # pulls took credentials (the deploy dialog's cancel wrapper) keep working.
            image_id = (
                engine.pull(target_reference, login) if login else engine.pull(target_reference)
            )
        if image_id == old.get("Image"):
            raise errors.Refused(f"{name} already runs {target_reference} ({image_id[:19]}).")
        aside = f"{name}{OLD_SUFFIX}"
        if engine.exists(aside):
            raise errors.Conflict(
                f"A container named {aside} is left from an earlier deploy; remove it first."
            )
        saved: Backup | None = None
        if backup:
            report("backup", f"Backing up {name} (configuration and volumes)")
            saved = store.create(engine, name, service=svc)
    except errors.OperationError as exc:
        return refused(exc)
    except OSError as exc:  # the backup store's disk: full, read-only, permissions
        return refused(errors.OperationError(f"Writing the backup failed: {exc}."))

    # --- the switch: from here any failure restores the old container
    new_id: str | None = None
    started = False
    stage = "stop"
    try:
        report("stop", f"Stopping {name} and renaming it to {aside}")
        engine.stop(name)
        engine.rename(name, aside)
        stage = "create"
        report("create", f"Creating {name} on {target_reference} with the same configuration")
        new_id = engine.create_like(old, target_reference, name)
        stage = "start"
        report("start", f"Starting the new {name}")
        started = True
        engine.start(new_id)
        stage = "health"
        report("health", f"Checking the health of the new {name}")
        health = engine.wait_healthy(new_id, health_timeout)
        stage = "cleanup"
        report("cleanup", f"Removing the old container {aside}")
        engine.remove(aside)
    except Exception as caught:  # whatever broke, the old container must come back
        failure = (
            caught
            if isinstance(caught, errors.OperationError)
            else errors.OperationError(f"unexpected {type(caught).__name__}: {caught}")
        )
        if stage == "cleanup":  # the new container is healthy; only the leftover stays behind
            return finish(
                DeployResult(
                    True,
                    "deployed",
                    f"Deployed {target_reference} to {name}, but the old container {aside} could "
                    f"not be removed: {failure}",
                    svc,
                    from_image,
                    target_reference,
                    container_id=new_id,
                    backup=saved,
                    error=failure,
                )
            )
        report(
            "restore", f"Deploy failed while {stage}: {failure} Restoring the previous container"
        )
        failed_logs = ""
        if new_id is not None and started:
            # Read before the restore removes the container: it is the operator's best clue.
            with contextlib.suppress(errors.OperationError):
                failed_logs = engine.logs(new_id, tail=50)
        restored = _restore(
            engine,
            store,
            saved,
            name,
            aside,
            new_id,
            started,
            failure,
            svc,
            from_image,
            target_reference,
            stage,
            credentials,
        )
        return finish(replace(restored, failed_logs=failed_logs))
    if keep is not None and saved is not None:
        # Retention only after success: a failed deploy may still need older backups.
        with contextlib.suppress(OSError, errors.OperationError):
            store.prune(svc, max(keep, 1))
    return finish(
        DeployResult(
            True,
            "deployed",
            f"Deployed {target_reference} to {name}: {health}",
            svc,
            from_image,
            target_reference,
            container_id=new_id,
            backup=saved,
        )
    )


def _restore(
    engine: ContainerEngine,
    store: BackupStore,
    saved: Backup | None,
    name: str,
    aside: str,
    new_id: str | None,
    started: bool,
    cause: errors.OperationError,
    svc: str,
    from_image: str,
    target: str,
    stage: str,
    credentials: CredentialLookup | None = None,
) -> DeployResult:
    why = f"The deploy of {target} failed while {stage} ({cause})"
    volumes_restored = False
    try:
        if new_id is not None and engine.exists(new_id):
            engine.remove(new_id)
        old_exists = engine.exists(aside) or (engine.exists(name) and new_id is None)
        changed = False
        if saved is not None and started and engine.exists(aside):
            # The new container had the same volumes mounted: check what it did to them.
            changed = any(
                volume_digest(engine, aside, v) != saved.content_digest(v) for v in saved.volumes
            )
        if saved is not None and (changed or not old_exists):
            # Volumes changed, or the old container vanished mid-deploy: rebuild it from the backup.
            # The old one gets its name back first: the restore replaces it, and should that fail,
            # puts it back (running, with the volumes as the new release left them) instead of
            # leaving nothing.
            if engine.exists(aside) and not engine.exists(name):
                engine.rename(aside, name)
            container_id = store.restore(engine, saved, start=True, credentials=credentials)
            volumes_restored = changed
            detail = (
                "volume contents restored from the backup"
                if changed
                else "recreated from the backup"
            )
        else:
            if engine.exists(aside):
                engine.rename(aside, name)
            container_id = str(engine.inspect(name)["Id"])
            detail = (
                "volumes unchanged"
                if saved is not None
                else "its volumes were not checked (the deploy ran without a backup)"
            )
            engine.start(name)
    except errors.OperationError as exc:
        # A failed store.restore has put the old container back as it found it: stopped (the
        # deploy had stopped it). Running is what it was before the deploy.
        running = False
        with contextlib.suppress(errors.OperationError):
            if engine.exists(name):
                engine.start(name)
                running = True
        return DeployResult(
            False,
            "restore-failed",
            f"{why}, and restoring the previous container failed too: {exc} "
            + ("The previous container was started again. " if running else "")
            + (f"The backup {saved.id} holds its configuration and volumes." if saved else ""),
            svc,
            from_image,
            target,
            backup=saved,
            error=cause,
        )
    return DeployResult(
        False,
        "restored",
        f"{why}; the previous container {name} ({from_image}) runs again, {detail}.",
        svc,
        from_image,
        target,
        container_id=container_id,
        backup=saved,
        error=cause,
        volumes_restored=volumes_restored,
    )
