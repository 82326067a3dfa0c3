"""Runs the controllers: one worker thread, a de-duplicating work queue fed by store events,
and timers for everything that happens "later" (pod start-up, crash back-off, progress
deadlines, minReadySeconds)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import OrderedDict

from ..errors import ApiError
from ..registry import Registry
from ..store import WatchEvent
from . import util
from .deployment import DeploymentController
from .kubelet import Kubelet
from .replicaset import ReplicaSetController

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # (controller, namespace, name)


class ControllerManager:
    def __init__(self, registry: Registry, *, pod_start_delay: float, crash_backoff: float) -> None:
        self.reg = registry
        self._cond = threading.Condition()
        self._queue: OrderedDict[Key, None] = OrderedDict()
        # (due, seq, key, background): background timers (failure loops, deadlines) never keep
        # the sandbox from counting as settled.
        self._timers: list[tuple[float, int, Key, bool]] = []
        self._seq = itertools.count()
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.deployments = DeploymentController(registry, self.schedule)
        self.replicasets = ReplicaSetController(registry, self.schedule)
        self.kubelet = Kubelet(
            registry, self.schedule, pod_start_delay=pod_start_delay, crash_backoff=crash_backoff
        )
        registry.store.add_listener(self._on_event)

    # -- inputs --------------------------------------------------------------------------
    def _on_event(self, event: WatchEvent) -> None:
        """Called under the store lock: only enqueue."""
        _group, plural = event.resource
        meta = event.obj["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        keys: list[Key] = []
        if plural == "deployments":
            keys.append(("deployment", ns, name))
        elif plural == "replicasets":
            keys.append(("replicaset", ns, name))
            owner = util.controller_of(event.obj)
            if owner and owner.get("kind") == "Deployment":
                keys.append(("deployment", ns, owner["name"]))
        elif plural == "pods":
            if event.type == "DELETED":
                self.kubelet.forget(ns, name, meta["uid"])
            else:
                keys.append(("pod", ns, name))
            owner = util.controller_of(event.obj)
            if owner and owner.get("kind") == "ReplicaSet":
                keys.append(("replicaset", ns, owner["name"]))
        if keys:
            with self._cond:
                for key in keys:
                    self._queue[key] = None
                self._cond.notify_all()

    def schedule(
        self, controller: str, namespace: str, name: str, delay: float, background: bool = False
    ) -> None:
        with self._cond:
            heapq.heappush(
                self._timers,
                (
                    time.monotonic() + max(0.0, delay),
                    next(self._seq),
                    (controller, namespace, name),
                    background,
                ),
            )
            self._cond.notify_all()

    def enqueue_all(self) -> None:
        """Look at every deployment, replica set and pod once (after loading a scenario)."""
        from .. import resources as res

        for rt, controller in (
            (res.DEPLOYMENTS, "deployment"),
            (res.REPLICASETS, "replicaset"),
            (res.PODS, "pod"),
        ):
            items, _ = self.reg.store.list_objects(rt.key)
            with self._cond:
                for obj in items:
                    meta = obj["metadata"]
                    self._queue[(controller, meta["namespace"], meta["name"])] = None
                self._cond.notify_all()

    # -- processing ----------------------------------------------------------------------
    def _release_due_timers(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _, _, key, _ = heapq.heappop(self._timers)
            self._queue[key] = None

    def _process(self, key: Key) -> None:
        controller, ns, name = key
        try:
            if controller == "deployment":
                self.deployments.sync_deployment(ns, name)
            elif controller == "replicaset":
                self.replicasets.sync(ns, name)
            else:
                self.kubelet.sync(ns, name, time.monotonic())
        except ApiError as exc:
            # A conflict means someone wrote in between: look again with fresh data.
            if exc.code not in (404,):
                self.schedule(controller, ns, name, 0.02)
            if exc.code not in (404, 409):
                log.warning("%s %s/%s: %s", controller, ns, name, exc.message)
        except Exception:
            log.exception("controller %s failed on %s/%s", controller, ns, name)
            self.schedule(controller, ns, name, 1.0)

    def _next_key(self) -> Key | None:
        with self._cond:
            self._release_due_timers(time.monotonic())
            if not self._queue:
                return None
            key, _ = self._queue.popitem(last=False)
            self._busy = True
            return key

    def _done(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def drain(self, timeout: float = 120.0) -> None:
        """Process in the caller's thread until idle; waits for foreground timers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            key = self._next_key()
            if key is not None:
                try:
                    self._process(key)
                finally:
                    self._done()
                continue
            with self._cond:
                pending = [t for t in self._timers if not t[3]]
                if not pending:
                    return
                wait = min(t[0] for t in pending) - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, 0.05))
        raise TimeoutError("the sandbox controllers did not settle in time")

    # -- the worker thread ---------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    self._release_due_timers(time.monotonic())
                    if self._queue:
                        break
                    timeout = (self._timers[0][0] - time.monotonic()) if self._timers else None
                    self._cond.wait(timeout if timeout is None else max(timeout, 0.001))
                if self._stopped:
                    return
                key, _ = self._queue.popitem(last=False)
                self._busy = True
            try:
                self._process(key)
            finally:
                self._done()

    def wait_idle(self, timeout: float) -> None:
        """Block until the worker has nothing to do and no foreground timer is pending."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                pending = any(not t[3] for t in self._timers)
                if not self._queue and not self._busy and not pending:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the sandbox did not settle in time")
                self._cond.wait(min(remaining, 0.05))
