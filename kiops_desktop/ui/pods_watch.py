"""The jobs behind the Pod List, run by the task runner off the UI thread (no Qt in here).

A job never touches a widget: it hands what it learned to ``ctx.progress`` as small messages
(``PodsListed``, ``PodChanged``, ``PodDeleted``, ``ReplicaSetsChanged``) that the tab applies on
the UI thread. A :class:`StopSlot` lets the UI thread stop a blocking stream (watch or followed
log) that a worker is reading, whichever of the two gets there first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..core.workloads import summarize_pod
from .pods_columns import PodRow, ReplicaSetInfo, make_row

if TYPE_CHECKING:
    from ..runtimes.kube_watch import ResourceWatch
    from ..runtimes.kubernetes import KubernetesRuntime
    from .tasks import TaskContext


class Stoppable(Protocol):
    def stop(self) -> None: ...


class StopSlot:
    """Where a worker parks the stream it reads so that another thread can end it.

    ``stop()`` may come before the worker has opened its stream (the request is still on its
    way): ``attach`` then refuses it and the worker closes the stream itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stream: Stoppable | None = None
        self._stopped = False

    def attach(self, stream: Stoppable) -> bool:
        with self._lock:
            if self._stopped:
                return False
            self._stream = stream
            return True

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped


# -- messages from the watch job to the tab --------------------------------------------------
@dataclass(frozen=True)
class PodsListed:
    rows: tuple[PodRow, ...]
    info: ReplicaSetInfo


@dataclass(frozen=True)
class PodChanged:
    row: PodRow
    added: bool


@dataclass(frozen=True)
class PodDeleted:
    name: str


@dataclass(frozen=True)
class ReplicaSetsChanged:
    info: ReplicaSetInfo


def replica_set_info(runtime: KubernetesRuntime, namespace: str, name: str) -> ReplicaSetInfo:
    """Revision of each ReplicaSet of the deployment and which one is new, as kubectl sees it."""
    history = runtime.history(namespace, name)
    return ReplicaSetInfo(
        revisions={r.replica_set: r.number for r in history.revisions},
        current=next((r.replica_set for r in history.revisions if r.live), ""),
    )


def _row(pod: Mapping[str, Any], info: ReplicaSetInfo) -> PodRow:
    return make_row(summarize_pod(pod), pod, info)


def watch_pods(
    ctx: TaskContext,
    runtime: KubernetesRuntime,
    namespace: str,
    name: str,
    slot: StopSlot,
) -> None:
    """List, then follow the deployment's pods until ``slot`` is stopped.

    ReplicaSet facts are read again whenever pods come or go (a rollout or rollback is under
    way: new ReplicaSets appear, an old one is renumbered and becomes the new one) and when a
    pod names a ReplicaSet not seen yet. Edits of running pods (status, restarts) do not need it.
    """
    watch = runtime.watch_pods(namespace, name)
    if not slot.attach(watch):
        watch.stop()
        return
    try:
        _follow(ctx, runtime, namespace, name, slot, watch)
    finally:
        # Whatever ended the loop (stop, cancel, an error), the connection must not linger.
        watch.stop()


def _follow(
    ctx: TaskContext,
    runtime: KubernetesRuntime,
    namespace: str,
    name: str,
    slot: StopSlot,
    watch: ResourceWatch,
) -> None:
    info: ReplicaSetInfo | None = None
    for kind, obj in watch.events():
        if slot.stopped or ctx.cancelled:
            break
        if kind == "SYNC":
            info = replica_set_info(runtime, namespace, name)
            items = obj.get("items") or []
            ctx.progress(PodsListed(tuple(_row(p, info) for p in items), info))
            continue
        assert info is not None  # the watch always lists first
        meta = obj.get("metadata") or {}
        owner = next(
            (r.get("name", "") for r in meta.get("ownerReferences") or [] if r.get("controller")),
            "",
        )
        if kind in ("ADDED", "DELETED") or (owner and owner not in info.revisions):
            fresh = replica_set_info(runtime, namespace, name)
            if fresh != info:
                info = fresh
                ctx.progress(ReplicaSetsChanged(info))
        if kind == "DELETED":
            ctx.progress(PodDeleted(str(meta.get("name") or "")))
        elif kind in ("ADDED", "MODIFIED"):
            ctx.progress(PodChanged(_row(obj, info), added=kind == "ADDED"))
