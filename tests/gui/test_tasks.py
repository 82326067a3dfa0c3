"""The task runner: results on the UI thread, per-key serialisation, dropped refreshes, owners
that die mid-task, unhandled errors to ``failed``, ``changed`` after mutations."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget

from kiops_desktop.runtimes.errors import NotFound
from kiops_desktop.ui.tasks import TaskRunner, error_text

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qapp: QApplication) -> Any:
    r = TaskRunner()
    yield r
    r.shutdown()


def test_result_arrives_on_the_ui_thread(qtbot: Any, runner: TaskRunner) -> None:
    got: list[tuple[Any, bool]] = []
    worker_threads: list[bool] = []

    def job(ctx: Any) -> int:
        worker_threads.append(QThread.currentThread() is not QApplication.instance().thread())
        return 42

    runner.submit(
        job,
        description="answer",
        on_done=lambda v: got.append(
            (v, QThread.currentThread() is QApplication.instance().thread())
        ),
    )
    qtbot.waitUntil(lambda: bool(got))
    assert got == [(42, True)]
    assert worker_threads == [True]


def test_mutations_on_one_key_never_overlap(qtbot: Any, runner: TaskRunner) -> None:
    active = 0
    most = 0
    lock = threading.Lock()
    order: list[int] = []
    changed: list[str] = []
    runner.changed.connect(changed.append)

    def job(n: int) -> Any:
        def run(ctx: Any) -> int:
            nonlocal active, most
            with lock:
                active += 1
                most = max(most, active)
            threading.Event().wait(0.05)
            with lock:
                active -= 1
            return n

        return run

    for n in range(4):
        runner.submit(job(n), description=f"m{n}", key="svc", mutation=True, on_done=order.append)
    qtbot.waitUntil(lambda: len(order) == 4, timeout=5000)
    assert most == 1
    assert order == [0, 1, 2, 3]
    assert changed == ["svc"] * 4


def test_overlapping_refresh_is_dropped(qtbot: Any, runner: TaskRunner) -> None:
    release = threading.Event()
    done: list[str] = []
    first = runner.submit(
        lambda ctx: release.wait(5),
        description="slow",
        key="list",
        on_done=lambda _: done.append("first"),
    )
    second = runner.submit(lambda ctx: None, description="again", key="list")
    assert first is not None
    assert second is None
    release.set()
    qtbot.waitUntil(lambda: done == ["first"])
    assert runner.submit(lambda ctx: None, description="later", key="list") is not None


def test_dead_owner_gets_nothing_and_nothing_crashes(qtbot: Any, runner: TaskRunner) -> None:
    owner = QWidget()
    release = threading.Event()
    called: list[Any] = []
    handle = runner.submit(
        lambda ctx: release.wait(5),
        description="x",
        owner=owner,
        on_done=called.append,
        on_error=called.append,
    )
    owner.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(owner))
    release.set()
    qtbot.waitUntil(lambda: handle is not None and handle.done)
    assert called == []


def test_unhandled_error_goes_to_failed_with_a_sentence(qtbot: Any, runner: TaskRunner) -> None:
    def job(ctx: Any) -> None:
        raise NotFound("deployment/x in namespace y was not found.", hint="Refresh the list.")

    with qtbot.waitSignal(runner.failed) as blocker:
        runner.submit(job, description="load x")
    description, error = blocker.args
    assert description == "load x"
    assert error_text(error) == "deployment/x in namespace y was not found. Refresh the list."


def test_cancel_and_progress(qtbot: Any, runner: TaskRunner) -> None:
    seen: list[int] = []
    result: list[str] = []

    def job(ctx: Any) -> str:
        for i in range(1000):
            ctx.progress(i)
            if ctx.cancel_event.wait(0.01):
                return "cancelled"
        return "finished"

    handle = runner.submit(job, description="long", on_progress=seen.append, on_done=result.append)
    qtbot.waitUntil(lambda: len(seen) >= 2)
    assert handle is not None
    handle.cancel()
    qtbot.waitUntil(lambda: bool(result))
    assert result == ["cancelled"]


def test_cancel_runs_the_jobs_stop_callbacks(qtbot: Any, runner: TaskRunner) -> None:
    blocked = threading.Event()
    released: list[str] = []

    def job(ctx: Any) -> str:
        ctx.on_cancel(lambda: released.append("stopped") or blocked.set())
        blocked.wait(30)  # stands for a stream read that never sees the cancel flag
        return "ended"

    result: list[str] = []
    handle = runner.submit(job, description="stream", on_done=result.append)
    assert handle is not None
    qtbot.wait(50)
    assert runner.shutdown(timeout_ms=10_000)
    assert released == ["stopped"]
    qtbot.waitUntil(lambda: bool(result))
    assert result == ["ended"]
