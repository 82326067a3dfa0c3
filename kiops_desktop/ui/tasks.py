"""The one task runner: every call that can block runs here, off the UI thread.

What it guarantees (STYLE.md, "What to take" §5):

- reads run in parallel on a QThreadPool; a read submitted with ``key=`` while another read with
  that key is still running is dropped (a refresh never piles up behind a slow one);
- mutations are serialised per target key: two rollbacks of one service never overlap, the second
  waits for the first;
- each job gets a :class:`TaskContext` with a cancel flag and a ``progress()`` callback;
- results, errors and progress arrive on the UI thread by queued signal; a callback whose owner
  widget has been deleted is skipped, so closing a dialog mid-task is safe;
- an error nobody handles goes to ``failed`` (the window shows it as a banner and logs it);
- after a successful mutation, ``changed`` is emitted once with the target key so every screen
  showing that target refreshes itself.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ..runtimes.errors import OperationError

log = logging.getLogger(__name__)

Job = Callable[["TaskContext"], Any]
Callback = Callable[[Any], None]


class TaskContext:
    """Handed to a job: check ``cancelled`` (or pass ``cancel_event`` on), report ``progress``."""

    def __init__(self, handle: TaskHandle, emit_progress: Callable[[Any], None]) -> None:
        self._handle = handle
        self._emit_progress = emit_progress

    @property
    def cancel_event(self) -> threading.Event:
        return self._handle.cancel_event

    @property
    def cancelled(self) -> bool:
        return self._handle.cancel_event.is_set()

    def progress(self, value: Any) -> None:
        self._emit_progress(value)

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the cancelling thread) when the task is cancelled: a job
        blocked reading a stream registers the stream's ``stop`` so cancel and app shutdown
        end it at once instead of waiting for the next line."""
        self._handle.add_cancel_callback(callback)


@dataclass(eq=False)
class TaskHandle:
    """What ``submit`` returns: cancel it, or ask whether it is still running."""

    description: str
    key: str | None
    mutation: bool
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_cancel_callback(self, callback: Callable[[], None]) -> None:
        with self._lock:
            already = self.cancel_event.is_set()
            if not already:
                self._callbacks.append(callback)
        if already:
            callback()

    def cancel(self) -> None:
        with self._lock:
            self.cancel_event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failing stop must not keep the others from running
                log.exception("Cancelling %r", self.description)


@dataclass(eq=False)
class _Pending:
    handle: TaskHandle
    job: Job
    on_done: Callback | None
    on_error: Callback | None
    on_progress: Callback | None
    owner: QObject | None


class _Bridge(QObject):
    """Lives on the UI thread; workers emit, Qt queues the call onto the UI thread."""

    finished = Signal(object, object, object)  # pending, result, error
    progressed = Signal(object, object)  # pending, value


class _Runnable(QRunnable):
    def __init__(self, pending: _Pending, bridge: _Bridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._pending = pending
        self._bridge = bridge

    def run(self) -> None:
        pending = self._pending
        context = TaskContext(pending.handle, lambda v: self._bridge.progressed.emit(pending, v))
        result: Any = None
        error: BaseException | None = None
        try:
            result = pending.job(context)
        except BaseException as exc:  # delivered to the UI thread, never lost
            error = exc
        self._bridge.finished.emit(pending, result, error)


class TaskRunner(QObject):
    """Owns all worker threads of the app."""

    failed = Signal(str, object)  # description, exception (unhandled errors only)
    changed = Signal(str)  # target key, after a successful mutation
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 8) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._bridge = _Bridge(self)
        self._bridge.finished.connect(self._on_finished)
        self._bridge.progressed.connect(self._on_progress)
        # Strong references until the job's result has been delivered.
        self._running: set[_Pending] = set()
        self._reads_by_key: dict[str, _Pending] = {}
        self._mutation_queues: dict[str, deque[_Pending]] = {}
        self._closed = False

    # -- submitting ---------------------------------------------------------------------------
    def submit(
        self,
        job: Job,
        *,
        description: str,
        on_done: Callback | None = None,
        on_error: Callback | None = None,
        on_progress: Callback | None = None,
        owner: QObject | None = None,
        key: str | None = None,
        mutation: bool = False,
    ) -> TaskHandle | None:
        """Run ``job(context)`` off the UI thread.

        Returns None when the job was dropped: a read whose key already has a read running, or a
        runner that is shutting down.
        """
        if self._closed:
            return None
        if not mutation and key is not None and key in self._reads_by_key:
            return None
        handle = TaskHandle(description, key, mutation)
        pending = _Pending(handle, job, on_done, on_error, on_progress, owner)
        if mutation and key is not None:
            queue = self._mutation_queues.setdefault(key, deque())
            queue.append(pending)
            if len(queue) > 1:
                self._running.add(pending)  # waits its turn; kept alive meanwhile
                return handle
        elif key is not None:
            self._reads_by_key[key] = pending
        self._start(pending)
        return handle

    def _start(self, pending: _Pending) -> None:
        was_idle = not self._running
        self._running.add(pending)
        if was_idle:
            self.busy_changed.emit(True)
        self._pool.start(_Runnable(pending, self._bridge))

    # -- delivering ---------------------------------------------------------------------------
    @staticmethod
    def _alive(owner: QObject | None) -> bool:
        return owner is None or shiboken6.isValid(owner)

    @Slot(object, object)
    def _on_progress(self, pending: _Pending, value: Any) -> None:
        if pending.on_progress is not None and self._alive(pending.owner):
            pending.on_progress(value)

    @Slot(object, object, object)
    def _on_finished(self, pending: _Pending, result: Any, error: BaseException | None) -> None:
        handle = pending.handle
        handle.done = True
        self._running.discard(pending)
        if handle.key is not None:
            if handle.mutation:
                queue = self._mutation_queues.get(handle.key)
                if queue and queue[0] is pending:
                    queue.popleft()
                    if queue:
                        self._running.discard(queue[0])
                        self._start(queue[0])
                    else:
                        del self._mutation_queues[handle.key]
            elif self._reads_by_key.get(handle.key) is pending:
                del self._reads_by_key[handle.key]
        try:
            self._deliver(pending, result, error)
        finally:
            if not self._running:
                self.busy_changed.emit(False)

    def _deliver(self, pending: _Pending, result: Any, error: BaseException | None) -> None:
        handle = pending.handle
        alive = self._alive(pending.owner)
        if error is None:
            if alive and pending.on_done is not None:
                pending.on_done(result)
            if handle.mutation and handle.key is not None:
                self.changed.emit(handle.key)
            return
        if not isinstance(error, OperationError | Exception):
            raise error  # KeyboardInterrupt / SystemExit: not ours to swallow
        if not isinstance(error, OperationError):
            log.error(
                "Task %r failed unexpectedly",
                handle.description,
                exc_info=(type(error), error, error.__traceback__),
            )
        if alive and pending.on_error is not None:
            pending.on_error(error)
        elif not alive:
            log.info("Dropped the result of %r: its window was closed.", handle.description)
        else:
            self.failed.emit(handle.description, error)

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._running)

    def active(self) -> list[TaskHandle]:
        return [p.handle for p in self._running]

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything, stop accepting work and wait for the threads (app exit)."""
        self._closed = True
        for pending in list(self._running):
            pending.handle.cancel()
        for queue in self._mutation_queues.values():
            for pending in list(queue)[1:]:
                pending.handle.cancel()
        return bool(self._pool.waitForDone(timeout_ms))


_gc_pauses = 0
_gc_lock = threading.Lock()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while a job builds a large, acyclic result (thousands
    of parsed objects): its full collections walk every live object with the GIL held, which
    stalls the UI thread for 50-100 ms at 10,000 services. Reference counting still frees
    everything meanwhile; nested and parallel pauses are counted, and collection resumes when
    the last one ends, with the survivors frozen (``gc.freeze``) out of its way."""
    global _gc_pauses
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0:
                # What the job built (and the client modules it imported on first use) is
                # long-lived data; freezing it keeps the next full collection from walking all
                # of it at once (a 70 ms stall, measured).
                gc.freeze()
                gc.enable()


def error_text(error: BaseException) -> str:
    """The sentence to show for an error: an OperationError's own, otherwise a plain one."""
    if isinstance(error, OperationError):
        return error.sentence + (f" {error.hint}" if error.hint else "")
    return f"Something went wrong: {type(error).__name__}: {error}"
