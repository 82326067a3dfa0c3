"""The ReplicaSet controller: keeps the number of pods equal to ``spec.replicas`` and reports
replicas / ready / available in status (spec §6.8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from .. import resources as res
from ..registry import Registry
from ..selectors import label_selector_matches
from ..store import Obj, clone, parse_time
from . import util
from .util import replicas_of

COMPONENT = "replicaset-controller"
Schedule = Callable[[str, str, str, float], None]


def pod_ready_since(pod: Obj) -> str | None:
    """When the pod's Ready condition last became True, or None if it is not ready."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return str(cond.get("lastTransitionTime")) if cond.get("status") == "True" else None
    return None


def _deletion_rank(pod: Obj) -> tuple[int, int, int, int, str]:
    """Pods to delete first: unscheduled, then pending, then not ready, then most restarts,
    then the newest (upstream's ActivePods ordering, simplified)."""
    status = pod.get("status") or {}
    scheduled = 1 if pod.get("spec", {}).get("nodeName") else 0
    running = 1 if status.get("phase") == "Running" else 0
    ready = 1 if pod_ready_since(pod) else 0
    restarts = sum(int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or [])
    created = pod["metadata"].get("creationTimestamp", "")
    return (scheduled, running, ready, -restarts, _invert(created))


def _invert(text: str) -> str:
    # Newest first inside an ascending sort: invert each character of the timestamp.
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


class ReplicaSetController:
    def __init__(self, registry: Registry, schedule: Schedule) -> None:
        self.reg = registry
        self.clock = registry.clock
        self.schedule = schedule

    def _owned_pods(self, rs: Obj) -> list[Obj]:
        uid = rs["metadata"]["uid"]
        selector = rs["spec"].get("selector")
        owned = []
        for pod in self.reg.store.owned_by(res.PODS.key, uid):
            if pod["metadata"].get("namespace") != rs["metadata"]["namespace"]:
                continue
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if label_selector_matches(selector, pod["metadata"].get("labels")):
                owned.append(pod)
        return owned

    def sync(self, namespace: str, name: str) -> None:
        rs = self.reg.store.get(res.REPLICASETS.key, namespace, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        pods = self._owned_pods(rs)
        self._manage_replicas(rs, pods)
        self._update_status(rs, pods)

    def _manage_replicas(self, rs: Obj, pods: list[Obj]) -> None:
        diff = len(pods) - replicas_of(rs)
        if diff < 0:
            for _ in range(-diff):
                created = self.reg.create(res.PODS, rs["metadata"]["namespace"], self._pod_for(rs))
                self.reg.record_event(
                    rs,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {created['metadata']['name']}",
                    COMPONENT,
                )
        elif diff > 0:
            for pod in sorted(pods, key=_deletion_rank)[:diff]:
                self.reg.delete(res.PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
                self.reg.record_event(
                    rs,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    COMPONENT,
                )

    @staticmethod
    def _pod_for(rs: Obj) -> Obj:
        template = rs["spec"].get("template") or {}
        meta = template.get("metadata") or {}
        pod_meta: Obj = {
            "generateName": f"{rs['metadata']['name']}-",
            "namespace": rs["metadata"]["namespace"],
            "labels": dict(meta.get("labels") or {}),
            "ownerReferences": [util.owner_reference(rs)],
        }
        if meta.get("annotations"):
            pod_meta["annotations"] = dict(meta["annotations"])
        return {"metadata": pod_meta, "spec": clone(template.get("spec") or {})}

    def _update_status(self, rs: Obj, pods: list[Obj]) -> None:
        template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get(
            "labels"
        ) or {}
        min_ready = int(rs["spec"].get("minReadySeconds", 0) or 0)
        now = self.clock.now()
        ready = available = fully_labeled = 0
        next_check: float | None = None
        for pod in pods:
            labels = pod["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in template_labels.items()):
                fully_labeled += 1
            since = pod_ready_since(pod)
            if since is None:
                continue
            ready += 1
            available_at = parse_time(since) + timedelta(seconds=min_ready)
            if min_ready == 0 or available_at <= now:
                available += 1
            else:
                wait = (available_at - now).total_seconds()
                next_check = wait if next_check is None else min(next_check, wait)
        status: Obj = {"replicas": len(pods)}
        for key, value in (
            ("fullyLabeledReplicas", fully_labeled),
            ("readyReplicas", ready),
            ("availableReplicas", available),
        ):
            if value:
                status[key] = value
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        current = rs.get("status") or {}
        if {k: v for k, v in current.items() if k != "conditions"} != status:
            if current.get("conditions"):
                status["conditions"] = current["conditions"]
            fresh = self.reg.store.get(
                res.REPLICASETS.key, rs["metadata"]["namespace"], rs["metadata"]["name"]
            )
            if fresh is not None:
                updated = clone(fresh)
                updated["status"] = status
                self.reg.write_status(res.REPLICASETS, updated)
        if next_check is not None:
            self.schedule(
                "replicaset", rs["metadata"]["namespace"], rs["metadata"]["name"], next_check + 0.05
            )
