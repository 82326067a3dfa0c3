"""The in-memory object store: objects by resource/namespace/name, one resourceVersion counter,
and a watch hub that keeps recent events so a watch can resume (spec §6.3, §6.5).

Stored objects are never mutated in place: every write stores a fresh dict. Readers may therefore
hold and serialise a stored object outside the lock, but must never modify it — ``clone`` first.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from .errors import already_exists, expired, not_found

ResourceKey = tuple[str, str]  # (group, plural)
Obj = dict[str, Any]
T = TypeVar("T")

HISTORY_LENGTH = 50_000


def clone(value: T) -> T:
    """A deep copy of JSON-shaped data, several times faster than ``copy.deepcopy``."""
    return cast(T, _clone(value))


def _clone(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


class Clock:
    """Wall-clock time in UTC, shiftable so scenarios can build a believable past."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def timestamp(self) -> str:
        return format_time(self.now())


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class WatchEvent:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    resource: ResourceKey
    obj: Obj
    prev: Obj | None


@dataclass(eq=False)  # identity semantics: watchers live in sets
class Watcher:
    """One subscriber's queue of events; filtering happens in the subscriber's own thread."""

    resource: ResourceKey
    events: deque[WatchEvent] = field(default_factory=deque)
    cond: threading.Condition = field(default_factory=threading.Condition)
    closed: bool = False

    def push(self, event: WatchEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify()

    def take(self, timeout: float) -> list[WatchEvent]:
        with self.cond:
            if not self.events and not self.closed:
                self.cond.wait(timeout)
            taken = list(self.events)
            self.events.clear()
            return taken

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


def _same_content(a: Obj, b: Obj) -> bool:
    """Equal apart from the resourceVersion (a write that changes nothing is not a write)."""
    ma, mb = a.get("metadata", {}), b.get("metadata", {})
    if {k: v for k, v in ma.items() if k != "resourceVersion"} != {
        k: v for k, v in mb.items() if k != "resourceVersion"
    }:
        return False
    return {k: v for k, v in a.items() if k != "metadata"} == {
        k: v for k, v in b.items() if k != "metadata"
    }


class Store:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self._objects: dict[ResourceKey, dict[tuple[str, str], Obj]] = {}
        self._rv = 0
        self._history: deque[WatchEvent] = deque(maxlen=HISTORY_LENGTH)
        self._watchers: dict[ResourceKey, set[Watcher]] = {}
        self._listeners: list[Callable[[WatchEvent], None]] = []
        # Secondary indexes: per-namespace names, and dependents by controller owner UID —
        # controllers ask "which pods does this ReplicaSet own" thousands of times a second.
        self._by_namespace: dict[ResourceKey, dict[str, set[str]]] = {}
        self._by_owner: dict[ResourceKey, dict[str, set[tuple[str, str]]]] = {}

    # -- reads ---------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, resource: ResourceKey, namespace: str, name: str) -> Obj | None:
        with self.lock:
            return self._objects.get(resource, {}).get((namespace, name))

    def list_objects(
        self, resource: ResourceKey, namespace: str | None = None
    ) -> tuple[list[Obj], int]:
        """Items sorted by namespace then name, and the resourceVersion they were read at."""
        with self.lock:
            bucket = self._objects.get(resource, {})
            if namespace is None:
                keys = sorted(bucket)
            else:
                names = self._by_namespace.get(resource, {}).get(namespace, ())
                keys = [(namespace, name) for name in sorted(names)]
            return [bucket[k] for k in keys], self._rv

    def owned_by(self, resource: ResourceKey, owner_uid: str) -> list[Obj]:
        """Objects whose controller owner reference has ``owner_uid``, sorted by key."""
        with self.lock:
            bucket = self._objects.get(resource, {})
            keys = sorted(self._by_owner.get(resource, {}).get(owner_uid, ()))
            return [bucket[k] for k in keys]

    def _index(self, resource: ResourceKey, obj: Obj, add: bool) -> None:
        key = _key(obj)
        names = self._by_namespace.setdefault(resource, {}).setdefault(key[0], set())
        owners = self._by_owner.setdefault(resource, {})
        uid = next(
            (
                ref.get("uid")
                for ref in obj["metadata"].get("ownerReferences") or ()
                if ref.get("controller")
            ),
            None,
        )
        if add:
            names.add(key[1])
            if uid:
                owners.setdefault(uid, set()).add(key)
        else:
            names.discard(key[1])
            if uid and uid in owners:
                owners[uid].discard(key)
                if not owners[uid]:
                    del owners[uid]

    def count(self, resource: ResourceKey) -> int:
        with self.lock:
            return len(self._objects.get(resource, {}))

    # -- writes --------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[WatchEvent], None]) -> None:
        """Called under the store lock for every event: listeners must only enqueue."""
        self._listeners.append(listener)

    def create(self, resource: ResourceKey, obj: Obj, *, group: str, dry_run: bool = False) -> Obj:
        with self.lock:
            meta = obj["metadata"]
            bucket = self._objects.setdefault(resource, {})
            key = _key(obj)
            if key in bucket:
                raise already_exists(resource[1], group, meta["name"])
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", self.clock.timestamp())
            if dry_run:
                return obj
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            bucket[key] = obj
            self._index(resource, obj, True)
            self._emit("ADDED", resource, obj, None)
            return obj

    def replace(self, resource: ResourceKey, obj: Obj, *, group: str, dry_run: bool = False) -> Obj:
        """Store ``obj`` (a fresh dict) in place of the current object with the same key."""
        with self.lock:
            bucket = self._objects.get(resource, {})
            key = _key(obj)
            current = bucket.get(key)
            if current is None:
                raise not_found(resource[1], group, key[1])
            if _same_content(current, obj) or dry_run:
                obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                return obj if dry_run else current
            self._rv += 1
            obj["metadata"]["resourceVersion"] = str(self._rv)
            bucket[key] = obj
            self._index(resource, current, False)
            self._index(resource, obj, True)
            self._emit("MODIFIED", resource, obj, current)
            return obj

    def delete(
        self, resource: ResourceKey, namespace: str, name: str, *, group: str, dry_run: bool = False
    ) -> Obj:
        with self.lock:
            bucket = self._objects.get(resource, {})
            current = bucket.get((namespace, name))
            if current is None:
                raise not_found(resource[1], group, name)
            if dry_run:
                return current
            del bucket[(namespace, name)]
            self._index(resource, current, False)
            self._rv += 1
            final = dict(current)
            final["metadata"] = dict(current["metadata"], resourceVersion=str(self._rv))
            self._emit("DELETED", resource, final, current)
            return final

    def _emit(self, kind: str, resource: ResourceKey, obj: Obj, prev: Obj | None) -> None:
        event = WatchEvent(self._rv, kind, resource, obj, prev)
        self._history.append(event)
        for watcher in self._watchers.get(resource, ()):
            watcher.push(event)
        for listener in self._listeners:
            listener(event)

    # -- watches -------------------------------------------------------------------------
    def watch(
        self, resource: ResourceKey, since: int | None
    ) -> tuple[Watcher, list[Obj], list[WatchEvent], int]:
        """Subscribe atomically.

        ``since`` None: the current objects are returned as the initial state. Otherwise the
        retained events after ``since`` are replayed; a version older than the retained history
        raises 410 Expired.
        """
        with self.lock:
            watcher = Watcher(resource)
            initial: list[Obj] = []
            replay: list[WatchEvent] = []
            if since is None:
                initial, _ = self.list_objects(resource)
            else:
                oldest = self._history[0].rv if self._history else self._rv + 1
                if since < oldest - 1 and since < self._rv:
                    raise expired(str(since), oldest)
                replay = [e for e in self._history if e.rv > since and e.resource == resource]
            self._watchers.setdefault(resource, set()).add(watcher)
            return watcher, initial, replay, self._rv

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            self._watchers.get(watcher.resource, set()).discard(watcher)
        watcher.close()

    def close_all_watchers(self) -> None:
        with self.lock:
            watchers = [w for ws in self._watchers.values() for w in ws]
            self._watchers.clear()
        for watcher in watchers:
            watcher.close()

    def all_objects(self) -> Iterable[tuple[ResourceKey, Obj]]:
        with self.lock:
            return [(r, o) for r, bucket in self._objects.items() for o in bucket.values()]
