"""The pod log viewer against the sandbox's demo scenario, with real kubectl as the referee:
the tail shows what ``kubectl logs`` shows, follow streams new lines of a crash-looping pod and
stops when the window closes, a pod that is gone shows a banner and the viewer stays usable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiops_desktop.ui.pod_logs import (
    DRAIN_CHUNK,
    MAX_LINES,
    PodLogsDialog,
    _LineQueue,
)
from kiops_desktop.ui.session import Session
from tests.gui.conftest import TOKEN, Cluster

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WAIT_MS = 30_000
CONTEXT = "kiops-sandbox"


@pytest.fixture
def crashy_cluster(cluster: Callable[..., Cluster]) -> Cluster:
    return cluster(scenario="demo", tls=True, token=TOKEN, pod_start_delay=0.2, crash_backoff=0.5)


def pods(cluster: Cluster, app: str) -> list[dict[str, Any]]:
    return sorted(
        cluster.items("pods", "-n", "shop", "-l", f"app={app}"),
        key=lambda p: p["metadata"]["name"],
    )


def open_logs(qtbot: Any, session: Session, pod: dict[str, Any], **kwargs: Any) -> PodLogsDialog:
    containers = [c["name"] for c in pod["spec"]["containers"]]
    dialog = PodLogsDialog(
        session,
        CONTEXT,
        pod["metadata"]["namespace"],
        pod["metadata"]["name"],
        containers,
        **kwargs,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def follow_jobs(session: Session) -> list[str]:
    return [h.description for h in session.runner.active() if h.description.startswith("Follow")]


def test_tail_shows_what_kubectl_logs_shows(
    demo_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(demo_cluster.kubeconfig)
    pod = pods(demo_cluster, "storefront")[0]
    name = pod["metadata"]["name"]
    dialog = open_logs(qtbot, session, pod)
    viewer = dialog.viewer
    expected = demo_cluster.ok("logs", name, "-n", "shop", "--tail=500").splitlines()
    assert expected, "the demo's pods have written their start-up lines"
    qtbot.waitUntil(lambda: viewer.lines() == expected, timeout=WAIT_MS)
    assert dialog.objectName() == "podLogsDialog"
    assert viewer.container == "storefront"

    with qtbot.waitSignal(viewer.loaded, timeout=WAIT_MS):
        viewer.tail_spin.setValue(2)
        viewer.tail_spin.editingFinished.emit()
    assert viewer.lines() == demo_cluster.ok("logs", name, "-n", "shop", "--tail=2").splitlines()
    assert len(viewer.lines()) == 2
    dialog.close()
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)


def test_follow_receives_new_lines_and_stops_on_close(
    crashy_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(crashy_cluster.kubeconfig)
    crashing = next(
        p
        for p in pods(crashy_cluster, "cart")
        if p["spec"]["containers"][0]["image"].endswith("crashloop")
    )
    dialog = open_logs(qtbot, session, crashing, follow=True)
    viewer = dialog.viewer
    assert viewer.follow_button.isChecked()
    qtbot.waitUntil(lambda: len(viewer.lines()) >= 4, timeout=WAIT_MS)
    first = len(viewer.lines())
    # Every restart of the crash loop writes its start-up lines again, into the same stream.
    qtbot.waitUntil(lambda: len(viewer.lines()) > first, timeout=WAIT_MS)
    assert viewer.following
    assert sum("starting cart" in line for line in viewer.lines()) >= 2
    assert follow_jobs(session)

    dialog.close()
    qtbot.waitUntil(lambda: not follow_jobs(session), timeout=WAIT_MS)
    assert not session.runner.busy


def test_follow_toggle_stops_and_resumes(
    crashy_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(crashy_cluster.kubeconfig)
    pod = pods(crashy_cluster, "cart")[0]
    dialog = open_logs(qtbot, session, pod)
    viewer = dialog.viewer
    qtbot.waitUntil(lambda: bool(viewer.lines()) and not session.runner.busy, timeout=WAIT_MS)
    viewer.follow_button.click()
    qtbot.waitUntil(lambda: bool(follow_jobs(session)) and bool(viewer.lines()), timeout=WAIT_MS)
    viewer.follow_button.click()
    assert not viewer.following
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)
    assert viewer.lines(), "the text stays after stopping"
    dialog.close()


def test_previous_shows_the_crashed_instance(
    crashy_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(crashy_cluster.kubeconfig)
    crashing = next(
        p
        for p in pods(crashy_cluster, "cart")
        if p["spec"]["containers"][0]["image"].endswith("crashloop")
    )
    name = crashing["metadata"]["name"]
    # Once the container has restarted, kubectl can read the previous instance.
    qtbot.waitUntil(
        lambda: crashy_cluster.kubectl("logs", name, "-n", "shop", "--previous").code == 0,
        timeout=WAIT_MS,
    )
    dialog = open_logs(qtbot, session, crashing)
    viewer = dialog.viewer
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)
    viewer.follow_button.setChecked(True)
    viewer.previous_check.setChecked(True)
    assert not viewer.follow_button.isChecked()
    assert not viewer.follow_button.isEnabled()
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)
    expected = crashy_cluster.ok("logs", name, "-n", "shop", "--previous", "--tail=500")

    # The container keeps crash-looping, so "previous" may be a later instance by the time
    # kubectl reads it: the instances print the same lines, only their timestamps differ.
    def untimed(lines: list[str]) -> list[str]:
        return [line.split(" ", 1)[1] for line in lines]

    assert untimed(viewer.lines()) == untimed(expected.splitlines())
    assert any("FATAL" in line for line in viewer.lines())
    assert not viewer.banner.isVisible()


def test_a_pod_that_is_gone_shows_a_banner_and_the_viewer_stays_usable(
    demo_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(demo_cluster.kubeconfig)
    pod = pods(demo_cluster, "storefront")[0]
    fake = {**pod, "metadata": {**pod["metadata"], "name": "storefront-gone-xxxxx"}}
    dialog = open_logs(qtbot, session, fake)
    viewer = dialog.viewer
    qtbot.waitUntil(lambda: viewer.banner.isVisible(), timeout=WAIT_MS)
    assert "storefront-gone-xxxxx" in viewer.banner.text
    assert viewer.reload_button.isEnabled()
    dialog.close()
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)


def test_the_line_queue_wakes_once_per_batch_and_keeps_the_newest_lines() -> None:
    queue = _LineQueue()
    wakes = [queue.put(f"line {i}") for i in range(MAX_LINES + 10)]
    assert wakes[0] is True
    assert not any(wakes[1:]), "one wake-up until the UI drains"
    assert queue.dropped == 10
    lines, more = queue.take(DRAIN_CHUNK)
    assert len(lines) == DRAIN_CHUNK
    assert more
    assert lines[0] == "line 10", "the oldest lines made way for the newest"
    # While lines remain the UI comes back for them by itself: no new wake-up.
    assert queue.put("extra") is False
    taken = lines
    while more:
        lines, more = queue.take(DRAIN_CHUNK)
        taken += lines
    assert len(taken) == MAX_LINES + 1  # all that was kept, and the extra line
    assert taken[-1] == "extra"
    assert queue.put("next") is True, "drained: the next line wakes the UI again"


def test_a_flood_of_lines_is_shown_in_slices_and_capped(
    qtbot: Any, make_session: Callable[..., Session], tmp_path: Any
) -> None:
    from kiops_desktop.ui.pod_logs import PodLogsViewer

    session = make_session(tmp_path / "no-kubeconfig")
    viewer = PodLogsViewer(session, CONTEXT, "shop", "p", ["c"])
    qtbot.addWidget(viewer)
    queue = _LineQueue()
    viewer._queue = queue  # what a followed stream's worker fills
    for i in range(MAX_LINES + 500):
        queue.put(f"line {i}")
    viewer._drain(viewer._generation)
    assert viewer.text.blockCount() == DRAIN_CHUNK, "one slice per turn of the event loop"
    qtbot.waitUntil(lambda: viewer.lines()[-1:] == [f"line {MAX_LINES + 499}"], timeout=WAIT_MS)
    assert viewer.text.blockCount() == MAX_LINES
    assert "older lines dropped" in viewer.status_label.text()


def test_a_long_read_is_shown_in_slices_and_complete(
    qtbot: Any, make_session: Callable[..., Session], tmp_path: Any
) -> None:
    from kiops_desktop.ui.pod_logs import PodLogsViewer

    session = make_session(tmp_path / "no-kubeconfig")
    viewer = PodLogsViewer(session, CONTEXT, "shop", "p", ["c"])
    qtbot.addWidget(viewer)
    lines = [f"line {i}" for i in range(5 * DRAIN_CHUNK + 7)]
    with qtbot.waitSignal(viewer.loaded, timeout=WAIT_MS):
        viewer._on_read(viewer._generation, "\n".join(lines) + "\n")  # what a read job returns
        assert viewer.text.blockCount() == DRAIN_CHUNK, "the first slice only, so far"
    assert viewer.lines() == lines
    assert viewer.status_label.text().startswith(f"{len(lines)} lines")
    assert not viewer.busy
