"""API semantics on top of the store: what the apiserver does on create, update, patch, delete
(defaulting, validation, generation rules, optimistic concurrency, dry run, garbage collection).

Both the HTTP layer and the sandbox's own controllers write through here, so a controller cannot
produce an object that a client write could not.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import deque
from typing import Any

from . import resources as res
from .defaults import apply_defaults, validate
from .errors import ApiError, bad_request, conflict, not_found
from .patching import PatchError, apply_patch
from .resources import ResourceType
from .selectors import (
    SelectorError,
    label_selector_to_string,
    parse_field_selector,
    parse_label_selector,
)
from .store import Obj, Store, clone

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATION_KINDS = {"deployments", "replicasets", "jobs"}
_STATUS_ON_MAIN_IGNORED = {"deployments", "replicasets", "pods", "services", "namespaces", "jobs"}
MAX_EVENTS = 5_000


def random_suffix(length: int = 5) -> str:
    return "".join(random.choice(_NAME_ALPHABET) for _ in range(length))


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.clock = store.clock
        self.record_events = True
        # Event de-duplication, as the event recorder does: same object, type, reason and message
        # counts up instead of adding a row. Bounded, oldest dropped first.
        self._events: dict[tuple[str, str, str, str], str] = {}
        self._event_order: deque[tuple[tuple[str, str, str, str], str, str]] = deque()

    # -- reads ---------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.store.get(rt.key, namespace if rt.namespaced else "", name)
        if obj is None:
            raise not_found(rt.plural, rt.group, name)
        return obj

    def list_objects(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> tuple[list[Obj], int]:
        try:
            label_match = parse_label_selector(label_selector)
            field_match = parse_field_selector(field_selector)
        except SelectorError as exc:
            raise bad_request(str(exc)) from exc
        items, rv = self.store.list_objects(rt.key, namespace if rt.namespaced else None)
        if label_selector:
            items = [o for o in items if label_match(o["metadata"].get("labels"))]
        if field_selector:
            items = [o for o in items if field_match(o)]
        return items, rv

    # -- create --------------------------------------------------------------------------
    def create(self, rt: ResourceType, namespace: str, body: Obj, *, dry_run: bool = False) -> Obj:
        obj = clone(body)
        if not isinstance(obj, dict):
            raise bad_request("the body of the request must be a JSON object")
        obj["apiVersion"] = rt.api_version
        obj["kind"] = rt.kind
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rt.namespaced:
            given = meta.get("namespace")
            if given and given != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on "
                    "the request"
                )
            meta["namespace"] = namespace
            if self.store.get(res.NAMESPACES.key, "", namespace) is None:
                raise not_found("namespaces", "", namespace)
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise bad_request("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = str(meta["generateName"])[:58] + random_suffix()
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "selfLink", "managedFields"):
            meta.pop(key, None)
        if rt.plural in _GENERATION_KINDS:
            meta["generation"] = 1
        if rt.plural in _STATUS_ON_MAIN_IGNORED:
            obj["status"] = self._initial_status(rt)
        apply_defaults(rt.plural, obj)
        validate(rt.kind, rt.group, rt.plural, obj, None)
        self._stamp_managed_fields(rt, obj, None)
        return self.store.create(rt.key, obj, group=rt.group, dry_run=dry_run)

    def _stamp_managed_fields(self, rt: ResourceType, new: Obj, old: Obj | None) -> None:
        """Record when a ConfigMap's or Secret's content last changed, as managedFields' time
        does on a real cluster: rollback precautions compare it with revision times."""
        if rt.plural not in ("configmaps", "secrets"):
            return
        content = ("data", "binaryData", "stringData", "type")
        if old is not None and all(new.get(k) == old.get(k) for k in content):
            return
        new["metadata"]["managedFields"] = [
            {
                "manager": "kubectl",
                "operation": "Update",
                "apiVersion": "v1",
                "time": self.clock.timestamp(),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {}},
            }
        ]

    @staticmethod
    def _initial_status(rt: ResourceType) -> Obj:
        if rt.plural == "replicasets":
            return {"replicas": 0}
        if rt.plural == "pods":
            return {"phase": "Pending", "qosClass": "BestEffort"}
        return {}

    # -- update / patch ------------------------------------------------------------------
    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Obj,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a JSON object")
        old = self.get(rt, namespace, name)
        new = clone(body)
        meta = new.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise bad_request(
                "the name of the object "
                f"({meta.get('name')}) does not match the name on the URL ({name})"
            )
        given_rv = meta.get("resourceVersion")
        if given_rv and given_rv != old["metadata"]["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name)
        return self._store_update(rt, old, new, subresource=subresource, dry_run=dry_run)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        content_type: str,
        body: bytes,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        old = self.get(rt, namespace, name)
        try:
            patched = apply_patch(old, content_type, body)
        except PatchError as exc:
            raise ApiError(exc.status, exc.message) from exc
        if not isinstance(patched, dict):
            raise bad_request("the patch produced something that is not an object")
        meta = patched.setdefault("metadata", {})
        if meta.get("resourceVersion") not in (None, "", old["metadata"]["resourceVersion"]):
            raise conflict(rt.plural, rt.group, name)
        if meta.get("name") != name:
            raise bad_request("metadata.name cannot be changed by a patch")
        return self._store_update(rt, old, patched, subresource=subresource, dry_run=dry_run)

    def _store_update(
        self, rt: ResourceType, old: Obj, new: Obj, *, subresource: str | None, dry_run: bool
    ) -> Obj:
        new["apiVersion"] = rt.api_version
        new["kind"] = rt.kind
        meta = new["metadata"]
        old_meta = old["metadata"]
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "namespace"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        meta.pop("managedFields", None)
        if "managedFields" in old_meta:
            meta["managedFields"] = old_meta["managedFields"]
        if subresource == "internal":
            pass  # the sandbox's kubelet binds and reports in one write, as a node would
        elif subresource == "status":
            # Status writes keep the spec and labels; annotations may change (that is how the
            # deployment controller stamps the revision) and the generation never moves.
            if "spec" in old:
                new["spec"] = old["spec"]
            else:
                new.pop("spec", None)
            if "labels" in old_meta:
                meta["labels"] = old_meta["labels"]
            else:
                meta.pop("labels", None)
            if "generation" in old_meta:
                meta["generation"] = old_meta["generation"]
        else:
            if rt.plural in _STATUS_ON_MAIN_IGNORED and "status" in old:
                new["status"] = old["status"]
            if rt.plural in _GENERATION_KINDS:
                generation = int(old_meta.get("generation", 1))
                changed = new.get("spec") != old.get("spec")
                if rt.plural == "deployments":
                    changed = changed or meta.get("annotations") != old_meta.get("annotations")
                meta["generation"] = generation + 1 if changed else generation
        apply_defaults(rt.plural, new)
        validate(rt.kind, rt.group, rt.plural, new, old)
        self._stamp_managed_fields(rt, new, old)
        return self.store.replace(rt.key, new, group=rt.group, dry_run=dry_run)

    # -- scale subresource ---------------------------------------------------------------
    def get_scale(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        return self._scale_of(self.get(rt, namespace, name))

    @staticmethod
    def _scale_of(obj: Obj) -> Obj:
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": meta["name"],
                "namespace": meta.get("namespace", ""),
                "uid": meta["uid"],
                "resourceVersion": meta["resourceVersion"],
                "creationTimestamp": meta["creationTimestamp"],
            },
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
            "status": {
                "replicas": obj.get("status", {}).get("replicas", 0),
                "selector": label_selector_to_string(obj.get("spec", {}).get("selector")),
            },
        }

    def write_scale(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        *,
        body: Obj | None = None,
        content_type: str = "",
        patch: bytes = b"",
        dry_run: bool = False,
    ) -> Obj:
        current = self.get(rt, namespace, name)
        scale = self._scale_of(current)
        if body is None:
            try:
                scale = apply_patch(scale, content_type, patch)
            except PatchError as exc:
                raise ApiError(exc.status, exc.message) from exc
        else:
            scale = body
        rv = (scale.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise conflict(rt.plural, rt.group, name)
        replicas = (scale.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(
                422,
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: '
                f"{replicas}: must be greater than or equal to 0",
            )
        new = clone(current)
        new["spec"]["replicas"] = replicas
        stored = self._store_update(rt, current, new, subresource=None, dry_run=dry_run)
        return self._scale_of(stored)

    # -- delete --------------------------------------------------------------------------
    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: Obj | None = None,
        dry_run: bool = False,
    ) -> Obj:
        current = self.get(rt, namespace, name)
        meta = current["metadata"]
        if preconditions:
            uid = preconditions.get("uid")
            rv = preconditions.get("resourceVersion")
            if (uid and uid != meta["uid"]) or (rv and rv != meta["resourceVersion"]):
                raise conflict(rt.plural, rt.group, name)
        if dry_run:
            return current
        if rt.plural == "namespaces":
            return self._delete_namespace(current)
        policy = propagation or "Background"
        if policy == "Orphan":
            self._orphan_dependents(meta["uid"], namespace)
        else:
            self._delete_dependents(meta["uid"], namespace)
        return self.store.delete(rt.key, namespace, name, group=rt.group)

    def _dependents(self, owner_uid: str, namespace: str) -> list[tuple[ResourceType, Obj]]:
        found = []
        for rt in res.RESOURCES:
            if not rt.namespaced or rt.plural == "events":
                continue
            for obj in self.store.owned_by(rt.key, owner_uid):
                if obj["metadata"].get("namespace") == namespace:
                    found.append((rt, obj))
        return found

    def _delete_dependents(self, owner_uid: str, namespace: str) -> None:
        for rt, obj in self._dependents(owner_uid, namespace):
            meta = obj["metadata"]
            if self.store.get(rt.key, namespace, meta["name"]) is not None:
                self._delete_dependents(meta["uid"], namespace)
                self.store.delete(rt.key, namespace, meta["name"], group=rt.group)

    def _orphan_dependents(self, owner_uid: str, namespace: str) -> None:
        for rt, obj in self._dependents(owner_uid, namespace):
            new = clone(obj)
            refs = [r for r in new["metadata"]["ownerReferences"] if r.get("uid") != owner_uid]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                del new["metadata"]["ownerReferences"]
            self.store.replace(rt.key, new, group=rt.group)

    def _delete_namespace(self, namespace_obj: Obj) -> Obj:
        name = namespace_obj["metadata"]["name"]
        for rt in res.RESOURCES:
            if not rt.namespaced:
                continue
            items, _ = self.store.list_objects(rt.key, name)
            for obj in items:
                if self.store.get(rt.key, name, obj["metadata"]["name"]) is not None:
                    self.store.delete(rt.key, name, obj["metadata"]["name"], group=rt.group)
        final = clone(namespace_obj)
        final["metadata"]["deletionTimestamp"] = self.clock.timestamp()
        final["status"] = {"phase": "Terminating"}
        self.store.delete(res.NAMESPACES.key, "", name, group="")
        return final

    # -- controller conveniences ----------------------------------------------------------
    def write(self, rt: ResourceType, obj: Obj, *, subresource: str | None = None) -> Obj:
        """A controller's update, guarded by the resourceVersion it read (409 if stale), so a
        controller never overwrites a client's concurrent change."""
        meta = obj["metadata"]
        with self.store.lock:
            current = self.get(rt, meta.get("namespace", ""), meta["name"])
            if meta.get("resourceVersion") != current["metadata"]["resourceVersion"]:
                raise conflict(rt.plural, rt.group, meta["name"])
            return self._store_update(rt, current, obj, subresource=subresource, dry_run=False)

    def write_status(self, rt: ResourceType, obj: Obj) -> Obj:
        return self.write(rt, obj, subresource="status")

    def record_event(
        self, involved: Obj, event_type: str, reason: str, message: str, component: str
    ) -> None:
        """Record (or count again) an event about ``involved``, as the event recorder does."""
        if not self.record_events:
            return
        meta = involved["metadata"]
        namespace = meta.get("namespace", "default")
        now = self.clock.timestamp()
        key = (meta["uid"], event_type, reason, message)
        with self.store.lock:
            existing_name = self._events.get(key)
            existing = (
                self.store.get(res.EVENTS.key, namespace, existing_name) if existing_name else None
            )
            if existing is not None:
                updated = clone(existing)
                updated["count"] = int(updated.get("count", 1)) + 1
                updated["lastTimestamp"] = now
                self.store.replace(res.EVENTS.key, updated, group="")
                return
            name = f"{meta['name']}.{secrets.token_hex(8)}"
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": {
                    "kind": involved.get("kind", ""),
                    "namespace": namespace,
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "apiVersion": involved.get("apiVersion", ""),
                    "resourceVersion": meta.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": message,
                "source": {"component": component},
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "type": event_type,
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": "",
            }
            self.store.create(res.EVENTS.key, event, group="")
            self._events[key] = name
            self._event_order.append((key, namespace, name))
            while len(self._event_order) > MAX_EVENTS:
                old_key, old_ns, old_name = self._event_order.popleft()
                self._events.pop(old_key, None)
                if self.store.get(res.EVENTS.key, old_ns, old_name) is not None:
                    self.store.delete(res.EVENTS.key, old_ns, old_name, group="")


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"the body of the request could not be decoded as JSON: {exc}") from exc
