"""Helpers shared by the sandbox controllers, ports of ``deployment_util.go`` and friends."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..store import Obj

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
SKIP_COPY = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
MAX_INT32 = 2_147_483_647
_GO_INT = re.compile(r"[+-]?[0-9]+")
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(s, 10, 64): optional sign, ASCII digits, nothing else."""
    if not _GO_INT.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def revision(obj: Obj) -> int | None:
    """The revision annotation; missing counts as 0, unparsable is None (skip that object)."""
    text = (obj["metadata"].get("annotations") or {}).get(REVISION)
    if text is None:
        return 0
    return parse_go_int(text)


def normalise(value: Any) -> Any:
    """Semantic-equality form: nil and empty maps/slices are the same thing."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            n = normalise(v)
            if n is None or n == {} or n == []:
                continue
            out[k] = n
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def template_without_hash(template: Obj | None) -> Any:
    template = dict(template or {})
    meta = dict(template.get("metadata") or {})
    labels = dict(meta.get("labels") or {})
    labels.pop(HASH_LABEL, None)
    meta["labels"] = labels
    template["metadata"] = meta
    return normalise(template)


def equal_ignore_hash(a: Obj | None, b: Obj | None) -> bool:
    return bool(template_without_hash(a) == template_without_hash(b))


def canonical_template(template: Obj | None) -> str:
    return json.dumps(template_without_hash(template), sort_keys=True, separators=(",", ":"))


# Canonical template text per stored object version. Stored objects are immutable, so
# (uid, resourceVersion) identifies a template; without this, a deployment with hundreds of
# revisions re-normalises every template on every sync.
_CANONICAL: dict[tuple[str, str], str] = {}
_CANONICAL_LIMIT = 50_000


def template_key(obj: Obj) -> str:
    meta = obj["metadata"]
    key = (str(meta.get("uid", "")), str(meta.get("resourceVersion", "")))
    cached = _CANONICAL.get(key) if all(key) else None
    if cached is None:
        cached = canonical_template(obj.get("spec", {}).get("template"))
        if all(key):
            if len(_CANONICAL) >= _CANONICAL_LIMIT:
                _CANONICAL.clear()
            _CANONICAL[key] = cached
    return cached


def compute_hash(template: Obj, collision_count: int | None) -> str:
    """FNV-1a of the canonical template, spelled with the controller's safe alphabet (§1.6)."""
    data = canonical_template(template)
    digest = 0x811C9DC5
    payload = data.encode()
    if collision_count is not None:
        payload += int(collision_count).to_bytes(4, "little") + b"\0\0\0\0"
    for byte in payload:
        digest ^= byte
        digest = (digest * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[ord(ch) % 27] for ch in str(digest))


def _scaled(value: Any, total: int, round_up: bool) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%") and parse_go_int(text[:-1]) is not None:
        fraction = int(text[:-1]) * total / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    parsed = parse_go_int(text)
    return parsed if parsed is not None else 0


def is_rolling(d: Obj) -> bool:
    return bool((d["spec"].get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate")


def replicas_of(obj: Obj) -> int:
    return int(obj.get("spec", {}).get("replicas", 0) or 0)


def fenceposts(d: Obj) -> tuple[int, int]:
    rolling = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas_of(d)
    surge = _scaled(rolling.get("maxSurge"), desired, True)
    unavailable = _scaled(rolling.get("maxUnavailable"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    return fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: Obj) -> int:
    if not is_rolling(d) or replicas_of(d) == 0:
        return 0
    return min(fenceposts(d)[1], replicas_of(d))


def status_int(obj: Obj, field: str) -> int:
    return int((obj.get("status") or {}).get(field, 0) or 0)


def round_half_away(value: float) -> int:
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def annotation_int(obj: Obj, key: str) -> int | None:
    text = (obj["metadata"].get("annotations") or {}).get(key)
    return None if text is None else parse_go_int(text)


def controller_of(obj: Obj) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def owner_reference(owner: Obj) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def by_creation(obj: Obj) -> tuple[str, str]:
    return (obj["metadata"].get("creationTimestamp", ""), obj["metadata"]["name"])
