"""The deployment controller, a port of Kubernetes' ``pkg/controller/deployment`` (spec §1).

Each public step mirrors a Go function of the same name so that the behaviour can be checked
against the upstream source line by line: ``sync_deployment`` (syncDeployment), ``_sync``
(sync), ``_rollout_rolling``, ``_rollout_recreate``, ``_get_new_replica_set``,
``_sync_rollout_status``, ``_cleanup``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from .. import resources as res
from ..errors import ApiError
from ..registry import Registry
from ..selectors import label_selector_matches
from ..store import Obj, clone, parse_time
from . import util
from .util import (
    DESIRED_REPLICAS,
    HASH_LABEL,
    MAX_REPLICAS,
    REVISION,
    REVISION_HISTORY,
    SKIP_COPY,
    by_creation,
    replicas_of,
    status_int,
)

MAX_REV_HISTORY_CHARS = 2000
COMPONENT = "deployment-controller"

Schedule = Callable[..., None]


def _condition(status: Obj, cond_type: str) -> Obj | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == cond_type:
            return dict(cond)
    return None


def _set_condition(status: Obj, new: Obj) -> None:
    """SetDeploymentCondition: same status+reason is a no-op; same status keeps the
    transition time; the updated condition moves to the end of the list."""
    current = _condition(status, new["type"])
    if current and current["status"] == new["status"] and current["reason"] == new["reason"]:
        return
    if current and current["status"] == new["status"]:
        new["lastTransitionTime"] = current["lastTransitionTime"]
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != new["type"]]
    conditions.append(new)
    status["conditions"] = conditions


def _remove_condition(status: Obj, cond_type: str) -> None:
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != cond_type]
    if conditions:
        status["conditions"] = conditions
    else:
        status.pop("conditions", None)


def _has_progress_deadline(d: Obj) -> bool:
    deadline = d["spec"].get("progressDeadlineSeconds")
    return deadline is not None and deadline != util.MAX_INT32


def _compact_status(status: Obj) -> Obj:
    """Deployment status ints are omitempty: zero values disappear from the JSON."""
    return {k: v for k, v in status.items() if v not in (0, None, [])}


class DeploymentController:
    def __init__(self, registry: Registry, schedule: Schedule) -> None:
        self.reg = registry
        self.clock = registry.clock
        self.schedule = schedule

    # -- helpers -------------------------------------------------------------------------
    def _now(self) -> str:
        return self.clock.timestamp()

    def _new_condition(self, cond_type: str, status: str, reason: str, message: str) -> Obj:
        now = self._now()
        return {
            "type": cond_type,
            "status": status,
            "lastUpdateTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }

    def _owned_replica_sets(self, d: Obj) -> list[Obj]:
        ns = d["metadata"]["namespace"]
        uid = d["metadata"]["uid"]
        selector = d["spec"].get("selector")
        owned = []
        for rs in self.reg.store.owned_by(res.REPLICASETS.key, uid):
            if rs["metadata"].get("namespace") != ns:
                continue
            if label_selector_matches(selector, rs["metadata"].get("labels")):
                owned.append(rs)
        return owned

    def _write_status(self, d: Obj) -> Obj:
        return self.reg.write_status(res.DEPLOYMENTS, d)

    def _event(self, d: Obj, message: str) -> None:
        self.reg.record_event(d, "Normal", "ScalingReplicaSet", message, COMPONENT)

    # -- entry point ---------------------------------------------------------------------
    def sync_deployment(self, namespace: str, name: str) -> None:
        stored = self.reg.store.get(res.DEPLOYMENTS.key, namespace, name)
        if stored is None:
            return
        d = clone(stored)
        selector = d["spec"].get("selector")
        if selector == {} or selector is None:
            self.reg.record_event(
                d,
                "Warning",
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
                COMPONENT,
            )
            if status_int(d, "observedGeneration") < d["metadata"].get("generation", 0):
                d.setdefault("status", {})["observedGeneration"] = d["metadata"]["generation"]
                self._write_status(d)
            return
        rs_list = self._owned_replica_sets(d)
        if d["metadata"].get("deletionTimestamp"):
            self._sync_status_only(d, rs_list)
            return
        d = self._check_paused_conditions(d)
        if d["spec"].get("paused"):
            self._sync(d, rs_list)
            return
        scaling = self._is_scaling_event(d, rs_list)
        # The scaling check may have stamped revisions (as upstream's does): read again.
        fresh = self.reg.store.get(res.DEPLOYMENTS.key, namespace, name)
        if fresh is None:
            return
        d = clone(fresh)
        rs_list = self._owned_replica_sets(d)
        if scaling:
            self._sync(d, rs_list)
            return
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self._rollout_recreate(d, rs_list)
        else:
            self._rollout_rolling(d, rs_list)

    def _check_paused_conditions(self, d: Obj) -> Obj:
        if not _has_progress_deadline(d):
            return d
        status = d.setdefault("status", {})
        cond = _condition(status, "Progressing")
        if cond and cond["reason"] == "ProgressDeadlineExceeded":
            return d
        paused_exists = cond is not None and cond["reason"] == "DeploymentPaused"
        paused = bool(d["spec"].get("paused"))
        if paused and not paused_exists:
            _set_condition(
                status,
                self._new_condition(
                    "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"
                ),
            )
        elif not paused and paused_exists:
            _set_condition(
                status,
                self._new_condition(
                    "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed"
                ),
            )
        else:
            return d
        return clone(self._write_status(d))

    # -- revisions and the new replica set -------------------------------------------------
    @staticmethod
    def _find_new(d: Obj, rs_list: list[Obj]) -> Obj | None:
        wanted = util.canonical_template(d["spec"].get("template"))
        for rs in sorted(rs_list, key=by_creation):
            if util.template_key(rs) == wanted:
                return rs
        return None

    def _find_old(self, d: Obj, rs_list: list[Obj]) -> list[Obj]:
        new = self._find_new(d, rs_list)
        new_uid = new["metadata"]["uid"] if new else None
        return [rs for rs in rs_list if rs["metadata"]["uid"] != new_uid]

    def _get_all_and_sync_revision(
        self, d: Obj, rs_list: list[Obj], create: bool
    ) -> tuple[Obj | None, list[Obj], Obj]:
        old = self._find_old(d, rs_list)
        new, d = self._get_new_replica_set(d, rs_list, old, create)
        return new, old, d

    def _set_new_rs_annotations(self, d: Obj, rs: Obj, new_revision: str, exists: bool) -> bool:
        annotations = rs["metadata"].setdefault("annotations", {})
        changed = False
        for key, value in (d["metadata"].get("annotations") or {}).items():
            if key in SKIP_COPY or annotations.get(key) == value:
                continue
            annotations[key] = value
            changed = True
        old_text = annotations.get(REVISION)
        had_revision = old_text is not None
        old_revision = util.parse_go_int(old_text) if old_text is not None else 0
        if old_revision is None:
            if old_text != "":
                return False
            old_revision = 0
        new_int = int(new_revision)
        if old_revision < new_int:
            annotations[REVISION] = new_revision
            changed = True
        if had_revision and old_revision < new_int:
            history = annotations.get(REVISION_HISTORY, "")
            entries = history.split(",")
            if not entries[0]:
                annotations[REVISION_HISTORY] = old_text
            else:
                total = len(history) + len(old_text or "") + 1
                start = 0
                while total > MAX_REV_HISTORY_CHARS and start < len(entries):
                    total -= len(entries[start]) + 1
                    start += 1
                if total <= MAX_REV_HISTORY_CHARS:
                    annotations[REVISION_HISTORY] = ",".join([*entries[start:], old_text or ""])
        if not exists and self._set_replicas_annotations(
            rs, replicas_of(d), replicas_of(d) + util.max_surge(d)
        ):
            changed = True
        return changed

    @staticmethod
    def _set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
        annotations = rs["metadata"].setdefault("annotations", {})
        changed = False
        for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(maximum))):
            if annotations.get(key) != value:
                annotations[key] = value
                changed = True
        return changed

    @staticmethod
    def _set_deployment_revision(d: Obj, revision: str) -> bool:
        annotations = d["metadata"].setdefault("annotations", {})
        if annotations.get(REVISION) == revision:
            return False
        annotations[REVISION] = revision
        return True

    def _get_new_replica_set(
        self, d: Obj, rs_list: list[Obj], old: list[Obj], create: bool
    ) -> tuple[Obj | None, Obj]:
        existing = self._find_new(d, rs_list)
        max_old = 0
        for rs in old:
            rev = util.revision(rs)
            if rev is not None and rev > max_old:
                max_old = rev
        new_revision = str(max_old + 1)

        if existing is not None:
            rs_copy = clone(existing)
            annotations_updated = self._set_new_rs_annotations(d, rs_copy, new_revision, True)
            min_ready = d["spec"].get("minReadySeconds", 0) or 0
            if annotations_updated or (rs_copy["spec"].get("minReadySeconds", 0) or 0) != min_ready:
                if min_ready:
                    rs_copy["spec"]["minReadySeconds"] = min_ready
                else:
                    rs_copy["spec"].pop("minReadySeconds", None)
                return self.reg.write(res.REPLICASETS, rs_copy), d
            rev_text = (rs_copy["metadata"].get("annotations") or {}).get(REVISION, "")
            needs_update = self._set_deployment_revision(d, rev_text)
            status = d.setdefault("status", {})
            if _has_progress_deadline(d) and _condition(status, "Progressing") is None:
                _set_condition(
                    status,
                    self._new_condition(
                        "Progressing",
                        "True",
                        "FoundNewReplicaSet",
                        f'Found new replica set "{rs_copy["metadata"]["name"]}"',
                    ),
                )
                needs_update = True
            if needs_update:
                d = clone(self._write_status(d))
            return existing, d

        if not create:
            return None, d

        template = clone(d["spec"]["template"])
        collision = (d.get("status") or {}).get("collisionCount")
        pod_hash = util.compute_hash(template, collision)
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[HASH_LABEL] = pod_hash
        template.setdefault("metadata", {})["labels"] = labels
        selector = clone(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        ns = d["metadata"]["namespace"]
        new_rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{d['metadata']['name']}-{pod_hash}",
                "namespace": ns,
                "labels": dict(labels),
                "ownerReferences": [util.owner_reference(d)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        if d["spec"].get("minReadySeconds"):
            new_rs["spec"]["minReadySeconds"] = d["spec"]["minReadySeconds"]
        new_rs["spec"]["replicas"] = self._new_rs_new_replicas(d, [*old, new_rs], new_rs)
        self._set_new_rs_annotations(d, new_rs, new_revision, False)
        try:
            created = self.reg.create(res.REPLICASETS, ns, new_rs)
        except ApiError as exc:
            if exc.reason != "AlreadyExists":
                raise
            clash = self.reg.store.get(res.REPLICASETS.key, ns, new_rs["metadata"]["name"])
            ref = util.controller_of(clash) if clash else None
            if (
                clash is not None
                and ref is not None
                and ref.get("uid") == d["metadata"]["uid"]
                and util.equal_ignore_hash(clash["spec"].get("template"), d["spec"]["template"])
            ):
                return clash, d
            status = d.setdefault("status", {})
            status["collisionCount"] = int(status.get("collisionCount", 0)) + 1
            self._write_status(d)
            raise
        replicas = replicas_of(created)
        if replicas > 0:
            self._event(d, f"Scaled up replica set {created['metadata']['name']} to {replicas}")
        needs_update = self._set_deployment_revision(d, new_revision)
        if _has_progress_deadline(d):
            _set_condition(
                d.setdefault("status", {}),
                self._new_condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    f'Created new replica set "{created["metadata"]["name"]}"',
                ),
            )
            needs_update = True
        if needs_update:
            d = clone(self._write_status(d))
        return created, d

    @staticmethod
    def _new_rs_new_replicas(d: Obj, all_rs: list[Obj], new_rs: Obj) -> int:
        if util.is_rolling(d):
            total = sum(replicas_of(rs) for rs in all_rs)
            max_total = replicas_of(d) + util.max_surge(d)
            if total >= max_total:
                return replicas_of(new_rs)
            scale_up = min(max_total - total, replicas_of(d) - replicas_of(new_rs))
            return replicas_of(new_rs) + scale_up
        return replicas_of(d)

    # -- scaling ---------------------------------------------------------------------------
    def _scale_rs(self, rs: Obj, new_scale: int, d: Obj, operation: str) -> tuple[bool, Obj]:
        size_changed = replicas_of(rs) != new_scale
        copy = clone(rs)
        annotations_changed = self._set_replicas_annotations(
            copy, replicas_of(d), replicas_of(d) + util.max_surge(d)
        )
        if not (size_changed or annotations_changed):
            return False, rs
        old_scale = replicas_of(rs)
        copy["spec"]["replicas"] = new_scale
        stored = self.reg.write(res.REPLICASETS, copy)
        if size_changed:
            self._event(
                d,
                f"Scaled {operation} replica set {stored['metadata']['name']} to {new_scale} "
                f"from {old_scale}",
            )
        return size_changed, stored

    def _scale_rs_and_record(self, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
        if replicas_of(rs) == new_scale:
            return False, rs
        operation = "down" if replicas_of(rs) > new_scale else "up"
        return self._scale_rs(rs, new_scale, d, operation)

    def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new, old, _ = self._get_all_and_sync_revision(d, rs_list, False)
        for rs in self._active([*old, new]):
            desired = util.annotation_int(rs, DESIRED_REPLICAS)
            if desired is not None and desired != replicas_of(d):
                return True
        return False

    @staticmethod
    def _active(rs_list: list[Obj | None]) -> list[Obj]:
        return [rs for rs in rs_list if rs is not None and replicas_of(rs) > 0]

    def _sync(self, d: Obj, rs_list: list[Obj]) -> None:
        new, old, d = self._get_all_and_sync_revision(d, rs_list, False)
        self._scale(d, new, old)
        if d["spec"].get("paused"):
            self._cleanup(old, d)
        all_rs = self._owned_replica_sets(d)
        new = self._find_new(d, all_rs)
        self._sync_deployment_status(all_rs, new, d)

    def _scale(self, d: Obj, new: Obj | None, old: list[Obj]) -> None:
        active_or_latest = self._find_active_or_latest(new, old)
        if active_or_latest is not None:
            if replicas_of(active_or_latest) == replicas_of(d):
                return
            self._scale_rs_and_record(active_or_latest, replicas_of(d), d)
            return
        if self._is_saturated(d, new):
            for rs in self._active(list(old)):
                self._scale_rs_and_record(rs, 0, d)
            return
        if not util.is_rolling(d):
            return
        all_rs = self._active([*old, new])
        total = sum(replicas_of(rs) for rs in all_rs)
        allowed = replicas_of(d) + util.max_surge(d) if replicas_of(d) > 0 else 0
        to_add = allowed - total
        operation = ""
        if to_add > 0:
            all_rs.sort(key=lambda rs: by_creation(rs), reverse=True)  # newer first on ties
            all_rs.sort(key=lambda rs: -replicas_of(rs))
            operation = "up"
        elif to_add < 0:
            all_rs.sort(key=by_creation)  # older first on ties
            all_rs.sort(key=lambda rs: -replicas_of(rs))
            operation = "down"
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rs:
            if to_add != 0:
                proportion = self._proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = replicas_of(rs) + proportion
                added += proportion
            else:
                sizes[rs["metadata"]["name"]] = replicas_of(rs)
        for i, rs in enumerate(all_rs):
            name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:
                sizes[name] = max(0, sizes[name] + to_add - added)
            self._scale_rs(rs, sizes[name], d, operation)

    @staticmethod
    def _proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
        if replicas_of(rs) == 0 or to_add == 0 or to_add == added:
            return 0
        if replicas_of(d) == 0:
            fraction = -replicas_of(rs)
        else:
            deployment_replicas = replicas_of(d) + util.max_surge(d)
            annotated = util.annotation_int(rs, MAX_REPLICAS)
            if annotated is None:
                annotated = status_int(d, "replicas")
            if annotated == 0:
                return 0
            fraction = util.round_half_away(
                replicas_of(rs) * deployment_replicas / annotated
            ) - replicas_of(rs)
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)

    def _find_active_or_latest(self, new: Obj | None, old: list[Obj]) -> Obj | None:
        old_sorted = sorted(old, key=by_creation)
        active = self._active([*old_sorted, new])
        if not active:
            if new is not None:
                return new
            return old_sorted[-1] if old_sorted else None
        if len(active) == 1:
            return active[0]
        return None

    @staticmethod
    def _is_saturated(d: Obj, rs: Obj | None) -> bool:
        if rs is None:
            return False
        desired = util.annotation_int(rs, DESIRED_REPLICAS)
        return (
            desired is not None
            and replicas_of(rs) == replicas_of(d)
            and desired == replicas_of(d)
            and status_int(rs, "availableReplicas") == replicas_of(d)
        )

    # -- rolling update --------------------------------------------------------------------
    def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new, old, d = self._get_all_and_sync_revision(d, rs_list, True)
        assert new is not None
        all_rs = [*old, new]
        scaled_up, new = self._reconcile_new_rs(all_rs, new, d)
        if scaled_up:
            self._sync_rollout_status(self._owned_replica_sets(d), new, d)
            return
        if self._reconcile_old_rs([*old, new], self._active(list(old)), new, d):
            self._sync_rollout_status(self._owned_replica_sets(d), new, d)
            return
        if self._complete(d, d.get("status") or {}):
            self._cleanup(old, d)
        self._sync_rollout_status(self._owned_replica_sets(d), new, d)

    def _reconcile_new_rs(self, all_rs: list[Obj], new: Obj, d: Obj) -> tuple[bool, Obj]:
        if replicas_of(new) == replicas_of(d):
            return False, new
        if replicas_of(new) > replicas_of(d):
            return self._scale_rs_and_record(new, replicas_of(d), d)
        count = self._new_rs_new_replicas(d, all_rs, new)
        return self._scale_rs_and_record(new, count, d)

    def _reconcile_old_rs(self, all_rs: list[Obj], old: list[Obj], new: Obj, d: Obj) -> bool:
        old_pods = sum(replicas_of(rs) for rs in old)
        if old_pods == 0:
            return False
        all_pods = sum(replicas_of(rs) for rs in all_rs)
        min_available = replicas_of(d) - util.max_unavailable(d)
        new_unavailable = replicas_of(new) - status_int(new, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        old, cleaned = self._cleanup_unhealthy(old, d, max_scaled_down)
        scaled = self._scale_down_old_for_rolling([*old, new], old, d)
        return cleaned + scaled > 0

    def _cleanup_unhealthy(self, old: list[Obj], d: Obj, max_cleanup: int) -> tuple[list[Obj], int]:
        total = 0
        result = []
        for rs in sorted(old, key=by_creation):
            if total >= max_cleanup or replicas_of(rs) == 0:
                result.append(rs)
                continue
            available = status_int(rs, "availableReplicas")
            if replicas_of(rs) == available:
                result.append(rs)
                continue
            count = min(max_cleanup - total, replicas_of(rs) - available)
            _, rs = self._scale_rs_and_record(rs, replicas_of(rs) - count, d)
            total += count
            result.append(rs)
        return result, total

    def _scale_down_old_for_rolling(self, all_rs: list[Obj], old: list[Obj], d: Obj) -> int:
        min_available = replicas_of(d) - util.max_unavailable(d)
        available = sum(status_int(rs, "availableReplicas") for rs in all_rs)
        if available <= min_available:
            return 0
        total_to_scale = available - min_available
        total = 0
        for rs in sorted(old, key=by_creation):
            if total >= total_to_scale:
                break
            if replicas_of(rs) == 0:
                continue
            count = min(replicas_of(rs), total_to_scale - total)
            self._scale_rs_and_record(rs, replicas_of(rs) - count, d)
            total += count
        return total

    # -- recreate --------------------------------------------------------------------------
    def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new, old, d = self._get_all_and_sync_revision(d, rs_list, False)
        scaled_down = False
        for rs in self._active(list(old)):
            changed, _ = self._scale_rs_and_record(rs, 0, d)
            scaled_down = scaled_down or changed
        if scaled_down:
            self._sync_rollout_status(self._owned_replica_sets(d), new, d)
            return
        if self._old_pods_running(new, old, d):
            self._sync_rollout_status(self._owned_replica_sets(d), new, d)
            return
        if new is None:
            new, old, d = self._get_all_and_sync_revision(d, self._owned_replica_sets(d), True)
        assert new is not None
        self._scale_rs_and_record(new, replicas_of(d), d)
        if self._complete(d, d.get("status") or {}):
            self._cleanup(old, d)
        all_rs = self._owned_replica_sets(d)
        self._sync_rollout_status(all_rs, self._find_new(d, all_rs), d)

    def _old_pods_running(self, new: Obj | None, old: list[Obj], d: Obj) -> bool:
        if sum(status_int(rs, "replicas") for rs in old) > 0:
            return True
        new_uid = new["metadata"]["uid"] if new else None
        old_uids = {rs["metadata"]["uid"] for rs in old} - {new_uid}
        for uid in old_uids:
            for pod in self.reg.store.owned_by(res.PODS.key, uid):
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    return True
        return False

    # -- cleanup and status ----------------------------------------------------------------
    def _cleanup(self, old: list[Obj], d: Obj) -> None:
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None or limit == util.MAX_INT32:
            return
        ns = d["metadata"]["namespace"]
        fresh = [self.reg.store.get(res.REPLICASETS.key, ns, rs["metadata"]["name"]) for rs in old]
        alive = [
            rs for rs in fresh if rs is not None and not rs["metadata"].get("deletionTimestamp")
        ]
        diff = len(alive) - int(limit)
        if diff <= 0:
            return

        def by_revision(rs: Obj) -> tuple[int, str, str]:
            rev = util.revision(rs)
            created, name = by_creation(rs)
            return (rev if rev is not None else -1, created, name)

        # Go sorts by revision and falls back to creation order on errors or ties; a key
        # sort with the same fallback gives the same order for parseable revisions.
        for rs in sorted(alive, key=by_revision)[:diff]:
            if (
                status_int(rs, "replicas") != 0
                or replicas_of(rs) != 0
                or rs["metadata"].get("generation", 0) > status_int(rs, "observedGeneration")
            ):
                continue
            try:
                self.reg.delete(res.REPLICASETS, ns, rs["metadata"]["name"])
            except ApiError:
                continue

    def _calculate_status(self, all_rs: list[Obj], new: Obj | None, d: Obj) -> Obj:
        available = sum(status_int(rs, "availableReplicas") for rs in all_rs)
        total = sum(replicas_of(rs) for rs in all_rs)
        old_status = d.get("status") or {}
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": sum(status_int(rs, "replicas") for rs in all_rs),
            "updatedReplicas": status_int(new, "replicas") if new else 0,
            "readyReplicas": sum(status_int(rs, "readyReplicas") for rs in all_rs),
            "availableReplicas": available,
            "unavailableReplicas": max(0, total - available),
        }
        if "collisionCount" in old_status:
            status["collisionCount"] = old_status["collisionCount"]
        status["conditions"] = [dict(c) for c in old_status.get("conditions") or []]
        if available >= replicas_of(d) - util.max_unavailable(d):
            cond = self._new_condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        else:
            cond = self._new_condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        _set_condition(status, cond)
        return status

    @staticmethod
    def _complete(d: Obj, status: Obj) -> bool:
        want = replicas_of(d)
        return (
            int(status.get("updatedReplicas", 0) or 0) == want
            and int(status.get("replicas", 0) or 0) == want
            and int(status.get("availableReplicas", 0) or 0) == want
            and int(status.get("observedGeneration", 0) or 0) >= d["metadata"].get("generation", 1)
        )

    @staticmethod
    def _progressing(d: Obj, new_status: Obj) -> bool:
        old = d.get("status") or {}

        def get(s: Obj, k: str) -> int:
            return int(s.get(k, 0) or 0)

        old_old = get(old, "replicas") - get(old, "updatedReplicas")
        new_old = get(new_status, "replicas") - get(new_status, "updatedReplicas")
        return (
            get(new_status, "updatedReplicas") > get(old, "updatedReplicas")
            or new_old < old_old
            or get(new_status, "readyReplicas") > get(old, "readyReplicas")
            or get(new_status, "availableReplicas") > get(old, "availableReplicas")
        )

    def _timed_out(self, d: Obj, new_status: Obj) -> bool:
        if not _has_progress_deadline(d):
            return False
        cond = _condition(new_status, "Progressing")
        if cond is None or cond["reason"] == "NewReplicaSetAvailable":
            return False
        if cond["reason"] == "ProgressDeadlineExceeded":
            return True
        deadline = parse_time(cond["lastUpdateTime"]) + timedelta(
            seconds=int(d["spec"]["progressDeadlineSeconds"])
        )
        return bool(deadline < self.clock.now())

    def _sync_rollout_status(self, all_rs: list[Obj], new: Obj | None, d: Obj) -> None:
        status = self._calculate_status(all_rs, new, d)
        if not _has_progress_deadline(d):
            _remove_condition(status, "Progressing")
        current = _condition(d.get("status") or {}, "Progressing")
        complete_already = (
            status["replicas"] == status["updatedReplicas"]
            and current is not None
            and current["reason"] == "NewReplicaSetAvailable"
        )
        subject = (
            f'ReplicaSet "{new["metadata"]["name"]}"'
            if new
            else f'Deployment "{d["metadata"]["name"]}"'
        )
        if _has_progress_deadline(d) and not complete_already:
            if self._complete(d, status):
                _set_condition(
                    status,
                    self._new_condition(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        f"{subject} has successfully progressed.",
                    ),
                )
            elif self._progressing(d, status):
                cond = self._new_condition(
                    "Progressing", "True", "ReplicaSetUpdated", f"{subject} is progressing."
                )
                if current is not None:
                    if current["status"] == "True":
                        cond["lastTransitionTime"] = current["lastTransitionTime"]
                    _remove_condition(status, "Progressing")
                _set_condition(status, cond)
            elif self._timed_out(d, status):
                _set_condition(
                    status,
                    self._new_condition(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        f"{subject} has timed out progressing.",
                    ),
                )
        failure = self._replica_failure(all_rs)
        if failure is not None:
            _set_condition(status, failure)
        else:
            _remove_condition(status, "ReplicaFailure")
        self._write_if_changed(d, status)
        self._requeue_stuck(d, status)

    @staticmethod
    def _replica_failure(all_rs: list[Obj]) -> Obj | None:
        for rs in all_rs:
            cond = _condition(rs.get("status") or {}, "ReplicaFailure")
            if cond is not None and cond.get("status") == "True":
                return {
                    "type": "ReplicaFailure",
                    "status": cond["status"],
                    "lastUpdateTime": cond.get("lastTransitionTime", ""),
                    "lastTransitionTime": cond.get("lastTransitionTime", ""),
                    "reason": cond.get("reason", ""),
                    "message": cond.get("message", ""),
                }
        return None

    def _write_if_changed(self, d: Obj, status: Obj) -> None:
        compact = _compact_status(status)
        if compact == _compact_status(d.get("status") or {}):
            return
        d["status"] = compact
        self._write_status(d)

    def _requeue_stuck(self, d: Obj, status: Obj) -> None:
        """requeueStuckDeployment: look again when the progress deadline would expire."""
        cond = _condition(status, "Progressing")
        if not _has_progress_deadline(d) or cond is None:
            return
        if cond["reason"] in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded"):
            return
        if self._complete(d, status):
            return
        due = parse_time(cond["lastUpdateTime"]) + timedelta(
            seconds=int(d["spec"]["progressDeadlineSeconds"]) + 1
        )
        delay = max(0.05, (due - self.clock.now()).total_seconds())
        self.schedule(
            "deployment", d["metadata"]["namespace"], d["metadata"]["name"], delay, background=True
        )

    def _sync_deployment_status(self, all_rs: list[Obj], new: Obj | None, d: Obj) -> None:
        self._write_if_changed(d, self._calculate_status(all_rs, new, d))

    def _sync_status_only(self, d: Obj, rs_list: list[Obj]) -> None:
        new, old, d = self._get_all_and_sync_revision(d, rs_list, False)
        self._sync_deployment_status([*old, *([new] if new else [])], new, d)
