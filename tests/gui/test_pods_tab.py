"""The Pod List tab against the sandbox's demo scenario over HTTPS with a token, with real
kubectl making the changes and judging what the table shows: the pods kubectl lists, a rollout
and a rollback followed without a click, crash loops and their restarts, the events, and a watch
that stops when the tab does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from kiops_desktop.core.workloads import summarize_pod
from kiops_desktop.ui.keyed_table_model import TONES_LIGHT as _TONES_LIGHT
from kiops_desktop.ui.operations.pods_tab import PodsTab
from kiops_desktop.ui.pods_columns import POD_COL, PodRow, human_duration, status_tone
from kiops_desktop.ui.session import Session
from tests.gui.conftest import TOKEN, Cluster, service_of

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WAIT_MS = 30_000
STOREFRONT = "registry.example.com/shop/storefront"


@pytest.fixture
def crashy_cluster(cluster: Callable[..., Cluster]) -> Cluster:
    """The demo scenario with a short crash back-off, so a crash loop restarts every few
    seconds instead of every 10 s, 20 s, 40 s..."""
    return cluster(scenario="demo", tls=True, token=TOKEN, pod_start_delay=0.2, crash_backoff=0.5)


OpenTab = Callable[..., PodsTab]


@pytest.fixture
def open_tab(qtbot: Any, make_session: Callable[..., Session]) -> Iterator[OpenTab]:
    tabs: list[PodsTab] = []

    def open_(cluster: Cluster, name: str, namespace: str = "shop") -> PodsTab:
        session = make_session(cluster.kubeconfig)
        tab = PodsTab(session, service_of(session, namespace, name))
        qtbot.addWidget(tab)
        tab.resize(1100, 640)
        tab.show()
        tab.ensure_loaded()
        tabs.append(tab)
        qtbot.waitUntil(lambda: tab.live, timeout=WAIT_MS)
        return tab

    yield open_
    for tab in tabs:
        tab.shutdown()
        qtbot.waitUntil(lambda t=tab: not t.session.runner.busy, timeout=WAIT_MS)


def kubectl_pods(cluster: Cluster, name: str, namespace: str = "shop") -> list[str]:
    """``kubectl get pods -l <the deployment's selector> -n NS -o name``, without "pod/"."""
    labels = cluster.deployment(name, namespace)["spec"]["selector"]["matchLabels"]
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    out = cluster.ok("get", "pods", "-l", selector, "-n", namespace, "-o", "name")
    return sorted(line.removeprefix("pod/") for line in out.split())


def rows(tab: PodsTab) -> list[PodRow]:
    return tab.model.rows()


def revision_by_replica_set(cluster: Cluster, name: str) -> dict[str, int]:
    return {rs["metadata"]["name"]: rev for rev, rs in cluster.rs_by_revision(name, "shop").items()}


def cell(tab: PodsTab, pod: str, column: str, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    row = tab.model.position(pod)
    assert row is not None, pod
    return tab.model.data(tab.model.index(row, POD_COL[column]), role)


# ---------------------------------------------------------------------------- the list


def test_table_lists_exactly_the_pods_kubectl_lists(
    demo_cluster: Cluster, open_tab: OpenTab
) -> None:
    tab = open_tab(demo_cluster, "cart")
    expected = kubectl_pods(demo_cluster, "cart")
    qtbot_rows = sorted(tab.model.names())
    assert qtbot_rows == expected
    assert tab.table.objectName() == "podsTable"
    assert tab.objectName() == "podsTab"
    assert tab.title == "Pod List"

    revisions = revision_by_replica_set(demo_cluster, "cart")
    live_revision = int(
        demo_cluster.deployment("cart", "shop")["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
    )
    pods = {p["metadata"]["name"]: p for p in demo_cluster.items("pods", "-n", "shop")}
    for row in rows(tab):
        pod = pods[row.name]
        owner = pod["metadata"]["ownerReferences"][0]["name"]
        assert row.summary.replica_set == owner
        assert row.summary.revision == revisions[owner]
        assert row.current == (revisions[owner] == live_revision)
        assert cell(tab, row.name, "Node") == pod["spec"]["nodeName"]
        assert cell(tab, row.name, "Image") == pod["spec"]["containers"][0]["image"]
        hash_ = owner.removeprefix("cart-")
        assert cell(tab, row.name, "ReplicaSet").startswith(f"#{revisions[owner]} · {hash_}")
        assert owner in cell(tab, row.name, "ReplicaSet", Qt.ItemDataRole.ToolTipRole)
        # The new ReplicaSet's pods stand out (bold, "(new)"); the old ones do not.
        font = cell(tab, row.name, "Name", Qt.ItemDataRole.FontRole)
        assert (font is not None and font.bold()) == row.current
        assert ("(new)" in cell(tab, row.name, "ReplicaSet")) == row.current
    assert sum(r.current for r in rows(tab)) == 1, "the crash-looping revision has one pod"
    assert sum(not r.current for r in rows(tab)) == 2, "the old revision keeps serving"


def test_table_follows_set_image_and_rollout_undo_without_a_click(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(demo_cluster, "storefront")
    before = sorted(tab.model.names())
    assert before == kubectl_pods(demo_cluster, "storefront")
    assert all(r.summary.revision == 6 and r.current for r in rows(tab))

    demo_cluster.ok(
        "set", "image", "deployment/storefront", f"storefront={STOREFRONT}:1.5.0", "-n", "shop"
    )
    qtbot.waitUntil(
        lambda: (
            len(rows(tab)) == 3
            and all(
                r.summary.revision == 7
                and r.current
                and r.summary.images == (f"{STOREFRONT}:1.5.0",)
                and r.summary.status_text == "Running"
                for r in rows(tab)
            )
        ),
        timeout=WAIT_MS,
    )
    demo_cluster.settle()
    rolled_out = kubectl_pods(demo_cluster, "storefront")
    qtbot.waitUntil(lambda: sorted(tab.model.names()) == rolled_out, timeout=WAIT_MS)
    assert not set(rolled_out) & set(before), "every old pod was replaced"

    demo_cluster.ok("rollout", "undo", "deployment/storefront", "-n", "shop")
    qtbot.waitUntil(
        lambda: (
            len(rows(tab)) == 3
            and all(
                r.summary.revision == 8
                and r.current
                and r.summary.images == (f"{STOREFRONT}:1.4.0",)
                and r.summary.status_text == "Running"
                for r in rows(tab)
            )
        ),
        timeout=WAIT_MS,
    )
    demo_cluster.settle()
    rolled_back = kubectl_pods(demo_cluster, "storefront")
    qtbot.waitUntil(lambda: sorted(tab.model.names()) == rolled_back, timeout=WAIT_MS)
    assert not set(rolled_back) & set(rolled_out)
    assert tab.live


def test_a_rollback_renumbers_the_old_replica_set_and_moves_the_new_mark(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    # cart's revision 2 pods keep running while revision 3 crash-loops: undo makes their
    # ReplicaSet revision 4 and the new one, without creating a pod.
    tab = open_tab(demo_cluster, "cart")
    old = {r.name for r in rows(tab) if not r.current}
    assert len(old) == 2

    demo_cluster.ok("rollout", "undo", "deployment/cart", "-n", "shop")
    qtbot.waitUntil(
        lambda: (
            {r.name for r in rows(tab)} == old
            and all(r.current and r.summary.revision == 4 for r in rows(tab))
        ),
        timeout=WAIT_MS,
    )
    assert sorted(tab.model.names()) == kubectl_pods(demo_cluster, "cart")
    assert "new ReplicaSet: revision 4" in tab.summary_label.text()


def test_crash_looping_pod_shows_its_waiting_reason_in_red_and_restarts_grow(
    crashy_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(crashy_cluster, "cart")

    def crashing() -> PodRow | None:
        return next(
            (r for r in rows(tab) if r.current and r.summary.waiting_reason == "CrashLoopBackOff"),
            None,
        )

    qtbot.waitUntil(lambda: crashing() is not None, timeout=WAIT_MS)
    row = crashing()
    assert row is not None
    assert cell(tab, row.name, "Status") == "CrashLoopBackOff"
    assert cell(tab, row.name, "Ready") == "0/1"
    brush = cell(tab, row.name, "Status", Qt.ItemDataRole.ForegroundRole)
    assert brush.color() == QColor(_TONES_LIGHT["error"])
    for healthy in (r for r in rows(tab) if not r.current):
        assert cell(tab, healthy.name, "Status") == "Running"
        assert cell(tab, healthy.name, "Status", Qt.ItemDataRole.ForegroundRole).color() == (
            QColor(_TONES_LIGHT["ok"])
        )

    first = row.summary.restarts
    qtbot.waitUntil(
        lambda: (tab.model.pod(row.name) or row).summary.restarts > first, timeout=WAIT_MS
    )
    shown = (tab.model.pod(row.name) or row).summary.restarts
    assert int(cell(tab, row.name, "Restarts")) == shown
    pod = crashy_cluster.get_json("pod", row.name, "-n", "shop")
    assert pod["status"]["containerStatuses"][0]["restartCount"] >= shown


def test_a_pull_error_shows_in_red_while_the_old_pods_keep_serving(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(demo_cluster, "storefront")
    demo_cluster.ok(
        "set",
        "image",
        "deployment/storefront",
        f"storefront={STOREFRONT}:9.9-pullerror",
        "-n",
        "shop",
    )

    def failing() -> list[PodRow]:
        return [
            r for r in rows(tab) if r.summary.waiting_reason in ("ErrImagePull", "ImagePullBackOff")
        ]

    qtbot.waitUntil(lambda: bool(failing()), timeout=WAIT_MS)
    pod = failing()[0]
    assert pod.current
    assert pod.summary.revision == 7
    assert status_tone(pod.summary) == "error"
    assert cell(tab, pod.name, "Status", Qt.ItemDataRole.ForegroundRole).color() == QColor(
        _TONES_LIGHT["error"]
    )
    # The old revision keeps serving: maxUnavailable leaves its pods running.
    assert any(not r.current and r.summary.status_text == "Running" for r in rows(tab))


# ---------------------------------------------------------------------------- events


def test_events_include_the_back_off_warning_of_the_crash_loop(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(demo_cluster, "cart")
    crash_pod = next(r.name for r in rows(tab) if r.current)

    def back_off() -> Any:
        model = tab.events_model
        return next(
            (
                model.event_at(i)
                for i in range(model.rowCount())
                if model.event_at(i).reason == "BackOff"
                and model.event_at(i).object == f"pod/{crash_pod}"
            ),
            None,
        )

    qtbot.waitUntil(lambda: back_off() is not None, timeout=WAIT_MS)
    event = back_off()
    assert event.type == "Warning"
    assert "Back-off restarting failed container cart" in event.message
    assert tab.events_table.objectName() == "podEventsTable"
    # kubectl agrees that the warning is there.
    listed = demo_cluster.ok(
        "get",
        "events",
        "-n",
        "shop",
        "--field-selector",
        f"involvedObject.name={crash_pod},reason=BackOff",
        "-o",
        "name",
    )
    assert listed.strip(), "kubectl lists the BackOff event too"
    # Warnings are coloured, normal events are not.
    row = next(
        i for i in range(tab.events_model.rowCount()) if tab.events_model.event_at(i) == event
    )
    brush = tab.events_model.data(tab.events_model.index(row, 1), Qt.ItemDataRole.ForegroundRole)
    assert brush is not None
    assert brush.color() == QColor(_TONES_LIGHT["warning"])
    # The events of the old ReplicaSets are there as well (matched by UID, not by name).
    objects = {tab.events_model.event_at(i).object for i in range(tab.events_model.rowCount())}
    assert "deployment/cart" in objects


# The offscreen platform cannot raise a window; raising the existing log window is the point.
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_double_click_and_the_logs_button_open_the_pods_logs(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(demo_cluster, "storefront")
    assert not tab.logs_button.isEnabled(), "nothing selected yet"
    name = sorted(tab.model.names())[1]
    proxy_row = tab.proxy.mapFromSource(tab.model.index(tab.model.position(name) or 0, 0)).row()
    rect = tab.table.visualRect(tab.proxy.index(proxy_row, POD_COL["Status"]))
    # A press first: the view emits doubleClicked only for the index the press went to.
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: name in tab._log_dialogs, timeout=WAIT_MS)
    dialog = tab._log_dialogs[name]
    expected = demo_cluster.ok("logs", name, "-n", "shop", "--tail=500").splitlines()
    qtbot.waitUntil(lambda: dialog.viewer.lines() == expected, timeout=WAIT_MS)
    assert tab.logs_button.isEnabled(), "the click selected the pod"
    # The button (and a second double-click) raise the same window rather than a second one.
    tab.logs_button.click()
    assert tab.open_logs(name) is dialog
    dialog.close()
    qtbot.waitUntil(lambda: name not in tab._log_dialogs, timeout=WAIT_MS)


def test_refresh_restarts_one_watch_and_stays_live(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(demo_cluster, "cart")

    def watches() -> int:
        return sum(h.description.startswith("Watch") for h in tab.session.runner.active())

    for _ in range(3):
        tab.refresh()
    qtbot.waitUntil(lambda: tab.live and watches() == 1, timeout=WAIT_MS)
    assert sorted(tab.model.names()) == kubectl_pods(demo_cluster, "cart")


# ---------------------------------------------------------------------------- lifecycle


def test_shutdown_stops_the_watch_and_leaves_no_job_running(
    demo_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(demo_cluster.kubeconfig)
    tab = PodsTab(session, service_of(session, "shop", "cart"))
    qtbot.addWidget(tab)
    tab.show()
    tab.ensure_loaded()
    qtbot.waitUntil(lambda: tab.live, timeout=WAIT_MS)
    assert session.runner.busy, "the watch is a running job"
    dialog = tab.open_logs(tab.model.names()[0], follow=True)
    assert dialog is not None
    qtbot.waitUntil(
        lambda: dialog.viewer.following and bool(dialog.viewer.lines()), timeout=WAIT_MS
    )

    tab.shutdown()
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)
    assert not tab.live
    # A refresh after shutdown (a late service_changed) starts nothing.
    tab.refresh()
    assert not session.runner.busy


def test_a_failing_api_shows_a_banner_and_the_watch_comes_back(
    demo_cluster: Cluster, open_tab: OpenTab, make_session: Callable[..., Session], qtbot: Any
) -> None:
    session = make_session(demo_cluster.kubeconfig)
    service = service_of(session, "shop", "cart")
    shown: list[str] = []
    # The next two reads of the deployment fail: the watch's and the events' first requests.
    demo_cluster.sb.inject_fault(
        "GET", r"/apis/apps/v1/namespaces/shop/deployments/cart$", count=2, status=403
    )
    tab = PodsTab(session, service)
    qtbot.addWidget(tab)
    original = tab.banner.show_message

    def record(text: str, level: str = "error", *, timeout_ms: int = 0) -> None:
        shown.append(text)
        original(text, level, timeout_ms=timeout_ms)

    tab.banner.show_message = record  # type: ignore[method-assign]
    tab.show()
    tab.ensure_loaded()
    qtbot.waitUntil(lambda: any("Live pod updates stopped" in t for t in shown), timeout=WAIT_MS)
    # It retries by itself and the list fills; the tab stayed usable all along.
    qtbot.waitUntil(lambda: tab.live, timeout=WAIT_MS)
    assert sorted(tab.model.names()) == kubectl_pods(demo_cluster, "cart")
    tab.events_refresh_button.click()
    qtbot.waitUntil(lambda: tab.events_model.rowCount() > 0, timeout=WAIT_MS)
    tab.shutdown()
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=WAIT_MS)


def test_models_pass_the_model_tester_through_a_rollout(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any, qtmodeltester: Any
) -> None:
    tab = open_tab(demo_cluster, "storefront")
    qtbot.waitUntil(lambda: tab.events_model.rowCount() > 0, timeout=WAIT_MS)
    qtmodeltester.check(tab.model)
    qtmodeltester.check(tab.events_model)
    # The tester stays attached: every insert, remove, move and dataChanged of the rollout and
    # of the age ticks is checked as it happens.
    demo_cluster.ok(
        "set", "image", "deployment/storefront", f"storefront={STOREFRONT}:1.5.0", "-n", "shop"
    )
    qtbot.waitUntil(
        lambda: len(rows(tab)) == 3 and all(r.summary.revision == 7 for r in rows(tab)),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(
        lambda: any(
            tab.events_model.event_at(i).message.startswith("Scaled up replica set")
            and "to 3" in tab.events_model.event_at(i).message
            for i in range(tab.events_model.rowCount())
        ),
        timeout=WAIT_MS,
    )


def test_ages_tick_without_resetting_the_model(
    demo_cluster: Cluster, open_tab: OpenTab, qtbot: Any
) -> None:
    tab = open_tab(demo_cluster, "cart")
    changed: list[tuple[int, int]] = []
    resets: list[bool] = []
    tab.model.dataChanged.connect(lambda a, b, _roles=(): changed.append((a.column(), b.column())))
    tab.model.modelReset.connect(lambda: resets.append(True))
    qtbot.waitUntil(lambda: (POD_COL["Age"], POD_COL["Age"]) in changed, timeout=WAIT_MS)
    assert not resets


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 20 * 60, "3h20m"),
        (20 * 3600, "20h"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (4 * 86400, "4d"),
        (90 * 86400, "90d"),
        (3 * 365 * 86400 + 30 * 86400, "3y30d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_read_like_kubectl(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def _pod(phase: str, *, waiting: str = "", ready: bool = False, deleting: bool = False) -> Any:
    state: dict[str, Any] = (
        {"waiting": {"reason": waiting}}
        if waiting
        else {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    )
    meta: dict[str, Any] = {"name": "p", "namespace": "ns"}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return summarize_pod(
        {
            "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "i"}]},
            "status": {
                "phase": phase,
                "containerStatuses": [{"name": "c", "ready": ready, "state": state}],
            },
        }
    )


@pytest.mark.parametrize(
    ("pod", "tone"),
    [
        (_pod("Running", waiting="CrashLoopBackOff"), "error"),
        (_pod("Pending", waiting="ImagePullBackOff"), "error"),
        (_pod("Pending", waiting="ErrImagePull"), "error"),
        (_pod("Pending", waiting="CreateContainerConfigError"), "error"),
        (_pod("Pending", waiting="ContainerCreating"), "pending"),
        (_pod("Pending"), "pending"),
        (_pod("Running", ready=True, deleting=True), "pending"),
        (_pod("Running"), "pending"),  # running, not ready yet
        (_pod("Running", ready=True), "ok"),
        (_pod("Failed"), "error"),
        (_pod("Succeeded"), ""),
    ],
)
def test_status_tones(pod: Any, tone: str) -> None:
    assert status_tone(pod) == tone


def test_in_the_operations_dialog_the_tab_loads_when_shown_and_stops_on_close(
    demo_cluster: Cluster, make_session: Callable[..., Session], qtbot: Any
) -> None:
    from kiops_desktop.ui.operations.dialog import OperationsDialog

    session = make_session(demo_cluster.kubeconfig)
    dialog = OperationsDialog(session, service_of(session, "shop", "cart"))
    qtbot.addWidget(dialog)
    dialog.show()
    tab = dialog.tab("podsTab")
    assert isinstance(tab, PodsTab)
    dialog.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.live, timeout=WAIT_MS)
    assert sorted(tab.model.names()) == kubectl_pods(demo_cluster, "cart")

    def watching() -> bool:
        return any(h.description.startswith("Watch the pods") for h in session.runner.active())

    assert watching()
    dialog.close()
    qtbot.waitUntil(lambda: not watching(), timeout=WAIT_MS)
