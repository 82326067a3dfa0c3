"""List-then-watch that survives dropped connections (resume from the last resourceVersion)
and expired versions (410: list again), so screens update without polling."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .errors import Expired, OperationError
from .kube_client import KubeClient, abort, iter_lines

WATCH_SECONDS = 300  # the server closes the stream after this; we simply watch again
RECONNECT_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)

Event = tuple[str, dict[str, Any]]  # ("SYNC", list) first, then ADDED / MODIFIED / DELETED


class ResourceWatch:
    def __init__(
        self,
        client: KubeClient,
        call: Callable[..., Any],
        *args: Any,
        what: str,
        **selectors: Any,
    ) -> None:
        self.client = client
        self.call = call
        self.args = args
        self.what = what
        self.selectors = selectors
        self._stopped = threading.Event()
        self._response: Any = None
        self._lock = threading.Lock()
        self.relists = 0
        self.reconnects = 0

    def stop(self) -> None:
        """Ends ``events()`` promptly, from any thread."""
        self._stopped.set()
        with self._lock:
            response = self._response
        if response is not None:
            abort(response)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _list(self) -> tuple[dict[str, Any], str]:
        body = self.client.read_json(self.call, *self.args, what=self.what, **self.selectors)
        return body, str((body.get("metadata") or {}).get("resourceVersion") or "")

    def events(self) -> Iterator[Event]:
        body, rv = self._list()
        yield ("SYNC", body)
        failures = 0
        while not self._stopped.is_set():
            try:
                response = self.client.stream(
                    self.call,
                    *self.args,
                    what=self.what,
                    read_timeout=WATCH_SECONDS + 30,
                    watch=True,
                    resource_version=rv,
                    allow_watch_bookmarks=True,
                    timeout_seconds=WATCH_SECONDS,
                    **self.selectors,
                )
            except Expired:
                self.relists += 1
                body, rv = self._list()
                yield ("SYNC", body)
                continue
            except OperationError:
                if self._stopped.is_set():
                    return
                if failures >= len(RECONNECT_BACKOFF) - 1 and not self._stopped.is_set():
                    raise
                self.reconnects += 1  # a watch request that failed before any answer
                self._stopped.wait(RECONNECT_BACKOFF[failures])
                failures += 1
                continue
            with self._lock:
                self._response = response
            if self._stopped.is_set():
                # stop() ran while the request was on its way: it could not abort it then.
                abort(response)
                return
            expired = False
            try:
                for line in iter_lines(response):
                    if self._stopped.is_set():
                        return
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    kind = event.get("type")
                    obj = event.get("object") or {}
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            expired = True
                            break
                        raise OperationError(
                            f"The watch on {self.what} failed: {obj.get('message', obj)}"
                        )
                    rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                    failures = 0
                    if kind == "BOOKMARK":
                        continue
                    yield (str(kind), obj)
            except (OSError, ValueError, AttributeError) as exc:
                # A dropped stream: resume from the last version we saw (unless stopping).
                if self._stopped.is_set():
                    return
                self.reconnects += 1
                failures = min(failures + 1, len(RECONNECT_BACKOFF) - 1)
                self._stopped.wait(RECONNECT_BACKOFF[failures])
                del exc
            except Exception as exc:
                if self._stopped.is_set():
                    return
                from urllib3.exceptions import HTTPError

                if not isinstance(exc, HTTPError):
                    raise
                self.reconnects += 1
                self._stopped.wait(RECONNECT_BACKOFF[min(failures, 4)])
            finally:
                with self._lock:
                    self._response = None
                response.release_conn()
            if expired:
                self.relists += 1
                body, rv = self._list()
                yield ("SYNC", body)
