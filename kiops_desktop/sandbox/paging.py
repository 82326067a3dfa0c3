"""List chunking (``limit`` / ``continue``), as the API server does it.

kubectl asks for 500 items at a time (``--chunk-size``), and clients that list big clusters page
the same way; a server that ignored ``limit`` would be legal but would hide paging bugs in
clients. The continue token, like the real one, is base64 of a small JSON object with the list's
resourceVersion and the key to start after.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import bad_request
from .store import Obj


@dataclass(frozen=True)
class Page:
    items: list[Obj]
    resource_version: int
    continue_token: str  # "" when this is the last page
    remaining: int | None


def _key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name", ""))


def encode_token(resource_version: int, start_after: str) -> str:
    raw = json.dumps(
        {"v": "meta.k8s.io/v1", "rv": resource_version, "start": start_after + "\x00"},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        rv = int(data["rv"])
        start = str(data["start"])
        if data.get("v") != "meta.k8s.io/v1" or not start.endswith("\x00"):
            raise ValueError("wrong version or key")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad_request("continue key is not valid: " + str(exc)) from exc
    return rv, start[:-1]


def paginate(items: Sequence[Obj], rv: int, limit_text: str, token: str) -> Page:
    """One page of ``items`` (any order in; key order out, as etcd returns them)."""
    try:
        limit = int(limit_text) if limit_text else 0
    except ValueError as exc:
        raise bad_request(f"invalid limit: {limit_text!r}") from exc
    ordered = sorted(items, key=_key)
    if token:
        rv, start_after = decode_token(token)
        ordered = [o for o in ordered if _key(o) > start_after]
    if limit <= 0 or len(ordered) <= limit:
        return Page(list(ordered), rv, "", None)
    page = list(ordered[:limit])
    return Page(page, rv, encode_token(rv, _key(page[-1])), len(ordered) - limit)
