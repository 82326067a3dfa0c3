"""Revision bookkeeping exactly as kubectl reads it (K8S_ROLLOUT_SPEC.md §1.2-1.4, §2.2, §3.3).

Everything here works on Kubernetes objects as JSON-shaped mappings (camelCase keys, as the API
serves them), because that is the form kubectl's logic is defined on; runtimes convert client
models with ``ApiClient.sanitize_for_serialization`` before calling in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Obj = Mapping[str, Any]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"

# Deployment annotations kubectl's undo keeps from the Deployment rather than the target RS.
ROLLBACK_SKIPPED_ANNOTATIONS = frozenset(
    {
        LAST_APPLIED_ANNOTATION,
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        "deprecated.deployment.rollback.to",
    }
)

_GO_INT = re.compile(r"[+-]?[0-9]+")  # used with fullmatch: "2\n" is not a number


def parse_go_int(text: str) -> int | None:
    """``strconv.ParseInt(s, 10, 64)``: optional sign and ASCII digits only, else None."""
    if not _GO_INT.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def metadata_of(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def annotations_of(obj: Obj) -> Mapping[str, str]:
    return metadata_of(obj).get("annotations") or {}


def revision_of(obj: Obj) -> int | None:
    """The revision annotation: missing counts as 0; unparsable is None (skip the object)."""
    text = annotations_of(obj).get(REVISION_ANNOTATION)
    if text is None:
        return 0
    return parse_go_int(text)


def selector_string(selector: Mapping[str, Any] | None) -> str:
    """A LabelSelector rendered the way kubectl sends it as ``labelSelector`` (§6.6)."""
    if not selector:
        return ""
    parts: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        parts.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key = expr.get("key", "")
        op = expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        if op == "In":
            parts.append((key, f"{key} in ({values})"))
        elif op == "NotIn":
            parts.append((key, f"{key} notin ({values})"))
        elif op == "Exists":
            parts.append((key, key))
        elif op == "DoesNotExist":
            parts.append((key, f"!{key}"))
    return ",".join(text for _, text in sorted(parts, key=lambda p: p[0]))


def _creation_key(obj: Obj) -> tuple[str, str]:
    meta = metadata_of(obj)
    return (str(meta.get("creationTimestamp") or ""), str(meta.get("name") or ""))


def owned_replica_sets(deployment: Obj, replica_sets: Iterable[Obj]) -> list[Obj]:
    """The RSes whose controller owner reference has the Deployment's UID (§1.2)."""
    uid = metadata_of(deployment).get("uid")
    owned = []
    for rs in replica_sets:
        for ref in metadata_of(rs).get("ownerReferences") or []:
            if ref.get("controller") and ref.get("uid") == uid:
                owned.append(rs)
                break
    return owned


def normalise(value: Any) -> Any:
    """Semantic equality treats nil and empty maps/slices alike."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            normal = normalise(item)
            if normal is None or normal == {} or normal == []:
                continue
            out[key] = normal
        return out
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


def template_without_hash(template: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of a pod template without the ``pod-template-hash`` label."""
    copy = dict(template or {})
    meta = dict(copy.get("metadata") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != POD_TEMPLATE_HASH_LABEL}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    copy["metadata"] = meta
    return copy


def templates_equal(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """``EqualIgnoreHash``: equal after dropping the hash label, nil == empty."""
    return bool(normalise(template_without_hash(a)) == normalise(template_without_hash(b)))


def split_new_old(deployment: Obj, owned: Sequence[Obj]) -> tuple[Obj | None, list[Obj]]:
    """The new RS (first, in creation order, whose template matches) and the old ones in
    creation order (§1.3)."""
    ordered = sorted(owned, key=_creation_key)
    template = (deployment.get("spec") or {}).get("template")
    new = next(
        (rs for rs in ordered if templates_equal((rs.get("spec") or {}).get("template"), template)),
        None,
    )
    old = [rs for rs in ordered if rs is not new]
    return new, old


def kubectl_order(deployment: Obj, owned: Sequence[Obj]) -> list[Obj]:
    """The order kubectl iterates owned RSes in: old ones by creation, the new one last."""
    new, old = split_new_old(deployment, owned)
    return [*old, new] if new is not None else old
