"""Row-shaped summaries of Deployments and Pods for lists and tables (pure: JSON in, data out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .revisions import POD_TEMPLATE_HASH_LABEL, revision_of
from .rollout import status_word

Obj = Mapping[str, Any]


def _int(value: Any) -> int:
    return int(value or 0)


@dataclass(frozen=True)
class DeploymentSummary:
    namespace: str
    name: str
    uid: str
    images: tuple[str, ...]
    revision: int | None
    desired: int
    updated: int
    ready: int
    available: int
    paused: bool
    status: str  # Available, Progressing, Degraded, Failed, Paused, Scaled to zero
    created: str
    last_change: str  # newest condition update, else creation time
    resource_version: str

    @property
    def ready_text(self) -> str:
        return f"{self.ready}/{self.desired}"


def summarize_deployment(deployment: Obj) -> DeploymentSummary:
    meta = deployment.get("metadata") or {}
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    times = [
        str(c.get("lastUpdateTime") or "")
        for c in status.get("conditions") or []
        if c.get("lastUpdateTime")
    ]
    created = str(meta.get("creationTimestamp") or "")
    return DeploymentSummary(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        uid=str(meta.get("uid") or ""),
        images=tuple(str(c.get("image") or "") for c in containers),
        revision=revision_of(deployment) if (meta.get("annotations") or {}) else None,
        desired=_int(spec.get("replicas", 1)),
        updated=_int(status.get("updatedReplicas")),
        ready=_int(status.get("readyReplicas")),
        available=_int(status.get("availableReplicas")),
        paused=bool(spec.get("paused")),
        status=status_word(deployment),
        created=created,
        last_change=max(times) if times else created,
        resource_version=str(meta.get("resourceVersion") or ""),
    )


@dataclass(frozen=True)
class PodSummary:
    namespace: str
    name: str
    replica_set: str
    revision: int | None
    phase: str
    ready: int
    containers: int
    restarts: int
    waiting_reason: str  # CrashLoopBackOff, ErrImagePull, ContainerCreating… or ""
    node: str
    created: str
    images: tuple[str, ...]
    pod_template_hash: str
    terminating: bool

    @property
    def ready_text(self) -> str:
        return f"{self.ready}/{self.containers}"

    @property
    def status_text(self) -> str:
        if self.terminating:
            return "Terminating"
        return self.waiting_reason or self.phase


def summarize_pod(pod: Obj, replica_sets: Sequence[Obj] = ()) -> PodSummary:
    """``replica_sets`` lets the summary name the revision the pod belongs to."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    owner = next(
        (r.get("name", "") for r in meta.get("ownerReferences") or [] if r.get("controller")), ""
    )
    revision: int | None = None
    for rs in replica_sets:
        if (rs.get("metadata") or {}).get("name") == owner:
            revision = revision_of(rs)
            break
    waiting = ""
    for container in statuses:
        reason = ((container.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            waiting = str(reason)
    return PodSummary(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        replica_set=str(owner),
        revision=revision,
        phase=str(status.get("phase") or "Pending"),
        ready=sum(1 for c in statuses if c.get("ready") and (c.get("state") or {}).get("running")),
        containers=len(spec.get("containers") or []),
        restarts=sum(_int(c.get("restartCount")) for c in statuses),
        waiting_reason=waiting,
        node=str(spec.get("nodeName") or ""),
        created=str(meta.get("creationTimestamp") or ""),
        images=tuple(str(c.get("image") or "") for c in spec.get("containers") or []),
        pod_template_hash=str((meta.get("labels") or {}).get(POD_TEMPLATE_HASH_LABEL) or ""),
        terminating=bool(meta.get("deletionTimestamp")),
    )
