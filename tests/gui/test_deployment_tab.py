"""The Deployment Management tab against the demo sandbox over HTTPS with a token, with real
kubectl as the referee: the history text is kubectl's byte for byte, a rollback through the
confirmation dialog leaves the cluster exactly as ``kubectl rollout undo`` leaves a twin cluster,
refusals show kubectl's reason, faults show a banner and leave the tab usable."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QDialog, QPushButton, QTabWidget, QVBoxLayout, QWidget

from kiops_desktop.connections.settings import Settings
from kiops_desktop.core.rollback import PAUSED_MESSAGE
from kiops_desktop.ui.operations.deployment_tab import DeploymentTab
from kiops_desktop.ui.rollback_dialog import ConfirmRollbackDialog
from kiops_desktop.ui.session import Session
from tests.gui.conftest import TOKEN, Cluster, service_of

pytestmark = [pytest.mark.gui, pytest.mark.integration]

WAIT = 30_000  # ms: generous, the sandbox and kubectl answer far sooner
ROLLOUT_WAIT = 90_000


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def open_tab(qtbot: Any, session: Session, namespace: str, name: str) -> DeploymentTab:
    """The tab as the operations dialog hosts it: shown, loaded once, and refreshed whenever
    the session announces a change of its service (what OperationsDialog wires up)."""
    service = service_of(session, namespace, name)
    tab = DeploymentTab(session, service)
    qtbot.addWidget(tab)
    session.events.service_changed.connect(
        lambda key: tab.refresh() if key == service.key and tab._loaded else None
    )
    tab.resize(1100, 700)
    tab.show()
    tab.ensure_loaded()
    qtbot.waitUntil(lambda: tab.view is not None, timeout=WAIT)
    return tab


def click(qtbot: Any, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.objectName()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_confirmation(
    qtbot: Any, tab: DeploymentTab, button: QPushButton | None = None
) -> ConfirmRollbackDialog:
    opened: list[ConfirmRollbackDialog] = []
    tab.confirm_dialog_opened.connect(opened.append)
    click(qtbot, button or tab.immediate_button)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT)
    dialog = opened[-1]
    assert dialog.objectName() == "confirmRollbackDialog"
    assert dialog.isVisible()
    return dialog


def confirm_and_wait(qtbot: Any, dialog: ConfirmRollbackDialog) -> None:
    confirm = dialog.findChild(QPushButton, "confirmRollbackButton")
    assert confirm is not None
    click(qtbot, confirm)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=ROLLOUT_WAIT)


def plain(rich_text: str) -> str:
    """What the operator reads in a rich-text label."""
    document = QTextDocument()
    document.setHtml(rich_text)
    return document.toPlainText()


def kubectl_history(cl: Cluster, namespace: str, name: str) -> str:
    return cl.ok("rollout", "history", f"deployment/{name}", "-n", namespace)


def snapshot(cl: Cluster, namespace: str, name: str) -> dict[str, Any]:
    """What a rollback must leave identical (as in tests/integration/kubernetes): the template,
    annotations, paused flag and generation of the Deployment, and per ReplicaSet (by name:
    pod-template hashes are deterministic) its revision, revision history, change-cause, size."""
    dep = cl.deployment(name, namespace)
    annotations = dict(dep["metadata"].get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    replica_sets = {}
    for rs in cl.owned_replicasets(name, namespace):
        rs_annotations = rs["metadata"].get("annotations") or {}
        replica_sets[rs["metadata"]["name"]] = (
            rs_annotations.get("deployment.kubernetes.io/revision"),
            rs_annotations.get("deployment.kubernetes.io/revision-history"),
            rs_annotations.get("kubernetes.io/change-cause"),
            rs["spec"]["replicas"],
        )
    return {
        "template": dep["spec"]["template"],
        "annotations": annotations,
        "paused": dep["spec"].get("paused"),
        "generation": dep["metadata"]["generation"],
        "replica_sets": replica_sets,
    }


def audit_entries(session: Session) -> list[dict[str, Any]]:
    path = session.audit.path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture
def twin(cluster: Callable[..., Cluster]) -> Cluster:
    """A second demo sandbox, rolled back by real kubectl as the reference."""
    return cluster(scenario="demo", tls=True, token=TOKEN, pod_start_delay=0.2)


@pytest.fixture
def session(demo_cluster: Cluster, make_session: Callable[..., Session]) -> Session:
    return make_session(demo_cluster.kubeconfig)


# --------------------------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "name"),
    [("shop", "storefront"), ("platform", "gateway"), ("payments", "api"), ("default", "hello")],
)
def test_view_history_text_is_kubectls(
    qtbot: Any, demo_cluster: Cluster, session: Session, namespace: str, name: str
) -> None:
    tab = open_tab(qtbot, session, namespace, name)
    expected = kubectl_history(demo_cluster, namespace, name)
    assert tab.history_text.toPlainText() == expected
    assert tab.history_text.isReadOnly()
    # View History reloads: after a change made outside the app it shows kubectl's new text.
    demo_cluster.ok(
        "annotate",
        f"deployment/{name}",
        "-n",
        namespace,
        "kubernetes.io/change-cause=edited outside",
        "--overwrite",
    )
    # (Every demo container is named after its Deployment.)
    demo_cluster.ok(
        "set", "image", f"deployment/{name}", "-n", namespace, f"{name}=example.com/{name}:9.9"
    )
    demo_cluster.settle()
    expected = kubectl_history(demo_cluster, namespace, name)
    click(qtbot, tab.view_history_button)
    qtbot.waitUntil(lambda: tab.history_text.toPlainText() == expected, timeout=WAIT)
    assert tab.findChild(QWidget, "historyText") is tab.history_text


def test_history_explanation_and_safety_advice(qtbot: Any, session: Session) -> None:
    tab = open_tab(qtbot, session, "platform", "gateway")
    assert tab.explanation.isVisible()
    assert "Revision 1 was removed" in tab.explanation.text()
    advice = tab.advice_label.text()
    assert "Only one step back" in advice
    assert "revisionHistoryLimit" in advice  # the fix is shown with it


def test_revisions_model(qtbot: Any, qtmodeltester: Any, session: Session) -> None:
    tab = open_tab(qtbot, session, "shop", "storefront")
    qtmodeltester.check(tab.model)
    model = tab.model
    assert model.rowCount() == 6
    assert [model.revision_at(r).number for r in range(6)] == [6, 5, 4, 3, 2, 1]  # type: ignore[union-attr]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Revision", "Change-cause", "Images", "Created", "Pods", "Live"]
    assert model.index(0, 1).data() == "1.4.0: redesigned header"
    assert model.index(0, 2).data() == "registry.example.com/shop/storefront:1.4.0"
    assert model.index(0, 5).data() == "● live"
    assert model.index(1, 5).data() == ""


def test_selecting_a_revision_shows_details_and_diff(
    qtbot: Any, demo_cluster: Cluster, session: Session
) -> None:
    tab = open_tab(qtbot, session, "payments", "ledger")
    assert not tab.selected_button.isEnabled()  # nothing selected yet
    assert tab.select_revision(1)
    expected = demo_cluster.ok(
        "rollout", "history", "deployment/ledger", "-n", "payments", "--revision=1"
    )
    assert tab.details_text.toPlainText() == expected
    diff = tab.diff_view.toPlainText()
    assert "ledger:2.0.0" in diff
    assert "ledger:1.8.0" in diff
    assert "ledger-config-v1" in diff
    assert tab.selected_button.isEnabled()
    assert tab.select_revision(2)  # the live one: nothing to roll back to
    assert "is live" in tab.diff_view.toPlainText()
    assert not tab.selected_button.isEnabled()


# --------------------------------------------------------------------------------------------
# rollbacks, compared with kubectl on a twin cluster
# --------------------------------------------------------------------------------------------


def test_immediate_rollback_matches_kubectl_undo(
    qtbot: Any, demo_cluster: Cluster, twin: Cluster, session: Session
) -> None:
    ns, name = "shop", "storefront"
    assert snapshot(demo_cluster, ns, name) == snapshot(twin, ns, name)
    tab = open_tab(qtbot, session, ns, name)
    dialog = open_confirmation(qtbot, tab)
    assert dialog.plan.current_revision == 6
    assert dialog.plan.target_revision == 5
    reason = dialog.findChild(QWidget, "rollbackReason")
    assert reason is not None
    qtbot.keyClicks(reason, "INC-42 header broke checkout")
    confirm_and_wait(qtbot, dialog)

    outcome = dialog.outcome
    assert outcome is not None
    assert outcome.succeeded, (outcome, dialog.outcome_label.text())
    bar = dialog.findChild(QWidget, "rolloutProgress")
    assert bar is not None
    assert bar.value() == bar.maximum()  # type: ignore[attr-defined]
    assert "successfully rolled out" in dialog.status_label.text()
    assert dialog.verification.report is not None
    assert dialog.verification.isVisible()

    twin.ok("rollout", "undo", f"deployment/{name}", "-n", ns)
    twin.settle()
    demo_cluster.settle()
    assert snapshot(demo_cluster, ns, name) == snapshot(twin, ns, name)

    # The history refreshed itself: kubectl's text, without a click.
    expected = kubectl_history(demo_cluster, ns, name)
    qtbot.waitUntil(lambda: tab.history_text.toPlainText() == expected, timeout=WAIT)
    assert tab.view is not None
    assert tab.view.history.current_revision == 7

    entries = audit_entries(session)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["action"] == "rollback"
    assert entry["outcome"] == "succeeded"
    assert entry["service"] == "shop/storefront"
    assert entry["from"] == "revision 6 (registry.example.com/shop/storefront:1.4.0)"
    assert entry["to"] == "revision 5 (registry.example.com/shop/storefront:1.3.0)"
    assert entry["detail"] == "INC-42 header broke checkout"


def test_roll_back_to_selected_revision_matches_kubectl(
    qtbot: Any, demo_cluster: Cluster, twin: Cluster, session: Session
) -> None:
    ns, name = "shop", "storefront"
    tab = open_tab(qtbot, session, ns, name)
    assert tab.select_revision(2)
    dialog = open_confirmation(qtbot, tab, tab.selected_button)
    assert dialog.plan.target_revision == 2
    assert "storefront:1.1.0" in dialog.diff_view.toPlainText()
    confirm_and_wait(qtbot, dialog)
    assert dialog.outcome is not None
    assert dialog.outcome.succeeded

    twin.ok("rollout", "undo", f"deployment/{name}", "-n", ns, "--to-revision=2")
    twin.settle()
    demo_cluster.settle()
    assert snapshot(demo_cluster, ns, name) == snapshot(twin, ns, name)
    expected = kubectl_history(demo_cluster, ns, name)
    qtbot.waitUntil(lambda: tab.history_text.toPlainText() == expected, timeout=WAIT)
    # Revision 2 moved to the top under a new number, as with kubectl.
    assert tab.model.row_of(2) is None
    assert tab.model.revision_at(0).number == 7  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "name", "to_revision", "reason"),
    [
        (
            "payments",
            "api",
            None,
            PAUSED_MESSAGE,
        ),
        ("default", "hello", None, 'no rollout history found for deployment "hello"'),
        (
            "shop",
            "storefront",
            6,
            "skipped rollback (current template already matches revision 6)",
        ),
    ],
    ids=["paused", "no-previous-revision", "already-at-target"],
)
def test_refusals_show_kubectls_reason_instead_of_the_confirm_button(
    qtbot: Any,
    demo_cluster: Cluster,
    session: Session,
    namespace: str,
    name: str,
    to_revision: int | None,
    reason: str,
) -> None:
    before = snapshot(demo_cluster, namespace, name)
    tab = open_tab(qtbot, session, namespace, name)
    opened: list[ConfirmRollbackDialog] = []
    tab.confirm_dialog_opened.connect(opened.append)
    if to_revision is None:
        click(qtbot, tab.immediate_button)
    else:
        tab.start_rollback(to_revision)  # the live revision: its button is disabled in the UI
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT)
    dialog = opened[0]
    refusal = dialog.findChild(QWidget, "rollbackRefusal")
    assert refusal is not None
    assert reason in plain(refusal.text())  # type: ignore[attr-defined]
    assert dialog.findChild(QPushButton, "confirmRollbackButton") is None
    assert dialog.findChild(QPushButton, "previewRollbackButton") is None
    cancel = dialog.findChild(QPushButton, "cancelRollbackButton")
    assert cancel is not None
    assert cancel.isDefault()
    click(qtbot, cancel)
    qtbot.waitUntil(lambda: tab.confirm_dialog is None, timeout=WAIT)
    assert snapshot(demo_cluster, namespace, name) == before


# --------------------------------------------------------------------------------------------
# production guard, dry run
# --------------------------------------------------------------------------------------------


def test_typed_name_guard_on_a_production_context(
    qtbot: Any, demo_cluster: Cluster, make_session: Callable[..., Session]
) -> None:
    # Patterns match whole words of the context name ("kiops-sandbox" -> "kiops", "sandbox").
    session = make_session(demo_cluster.kubeconfig, Settings(production_patterns=["sandbox"]))
    assert session.is_production("kiops-sandbox")
    tab = open_tab(qtbot, session, "platform", "gateway")
    dialog = open_confirmation(qtbot, tab)
    assert dialog.findChild(QWidget, "productionBadge") is not None
    confirm = dialog.findChild(QPushButton, "confirmRollbackButton")
    typed = dialog.findChild(QWidget, "typedNameInput")
    assert confirm is not None
    assert typed is not None
    assert not confirm.isEnabled()
    qtbot.keyClicks(typed, "gatewa")
    assert not confirm.isEnabled()
    qtbot.keyClicks(typed, "y")
    assert confirm.isEnabled()
    cancel = dialog.findChild(QPushButton, "cancelRollbackButton")
    assert cancel is not None
    assert cancel.isDefault()
    assert not confirm.isDefault()
    confirm_and_wait(qtbot, dialog)
    assert dialog.outcome is not None
    assert dialog.outcome.succeeded
    qtbot.waitUntil(
        lambda: tab.view is not None and tab.view.history.current_revision == 4, timeout=WAIT
    )


def test_dry_run_preview_changes_nothing(
    qtbot: Any, demo_cluster: Cluster, session: Session
) -> None:
    ns, name = "shop", "storefront"
    before = demo_cluster.deployment(name, ns)
    tab = open_tab(qtbot, session, ns, name)
    dialog = open_confirmation(qtbot, tab)
    preview = dialog.findChild(QPushButton, "previewRollbackButton")
    assert preview is not None
    click(qtbot, preview)
    qtbot.waitUntil(lambda: "accepted" in dialog.preview_result.text(), timeout=WAIT)
    text = dialog.preview_result.text()
    assert "deployment.apps/storefront rolled back (server dry run)" in text
    assert "storefront:1.3.0" in text
    assert "Nothing was changed" in text
    demo_cluster.settle()
    after = demo_cluster.deployment(name, ns)
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"]["template"] == before["spec"]["template"]
    assert after["metadata"]["annotations"] == before["metadata"]["annotations"]
    assert audit_entries(session) == []
    assert dialog.findChild(QPushButton, "confirmRollbackButton").isEnabled()  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# faults
# --------------------------------------------------------------------------------------------


def test_api_fault_while_planning_shows_a_banner_and_the_tab_stays_usable(
    qtbot: Any, demo_cluster: Cluster, session: Session
) -> None:
    tab = open_tab(qtbot, session, "shop", "storefront")
    demo_cluster.sb.inject_fault("GET", r"/namespaces/shop/replicasets", count=1, status=403)
    click(qtbot, tab.immediate_button)
    qtbot.waitUntil(lambda: tab.banner.isVisible(), timeout=WAIT)
    assert tab.banner.level == "error"
    assert "Could not plan the rollback" in tab.banner.text
    assert "Traceback" not in tab.banner.text
    assert tab.confirm_dialog is None
    # Usable: the buttons work again once the API answers.
    qtbot.waitUntil(lambda: tab.immediate_button.isEnabled(), timeout=WAIT)
    dialog = open_confirmation(qtbot, tab)
    assert dialog.plan.can_proceed


def test_api_fault_while_applying_shows_a_banner_and_nothing_changes(
    qtbot: Any, demo_cluster: Cluster, session: Session
) -> None:
    ns, name = "shop", "storefront"
    before = snapshot(demo_cluster, ns, name)
    tab = open_tab(qtbot, session, ns, name)
    dialog = open_confirmation(qtbot, tab)
    demo_cluster.sb.inject_fault("PATCH", r"/deployments/storefront$", count=1, status=500)
    confirm = dialog.findChild(QPushButton, "confirmRollbackButton")
    assert confirm is not None
    click(qtbot, confirm)
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=WAIT)
    assert dialog.banner.level == "error"
    assert "The rollback was not applied" in dialog.banner.text
    assert "Traceback" not in dialog.banner.text
    assert dialog.pages.currentWidget() is dialog.confirm_page
    assert confirm.isEnabled()
    demo_cluster.settle()
    assert snapshot(demo_cluster, ns, name) == before
    assert [e["outcome"] for e in audit_entries(session)] == ["failed"]
    # Still usable: the same dialog rolls back once the API answers again.
    confirm_and_wait(qtbot, dialog)
    assert dialog.outcome is not None
    assert dialog.outcome.succeeded
    assert [e["outcome"] for e in audit_entries(session)] == ["failed", "succeeded"]


def test_api_fault_while_loading_history(
    qtbot: Any, demo_cluster: Cluster, session: Session
) -> None:
    tab = open_tab(qtbot, session, "shop", "storefront")
    shown = tab.history_text.toPlainText()
    demo_cluster.sb.inject_fault("GET", r"/deployments/storefront$", count=1, status=403)
    click(qtbot, tab.view_history_button)
    qtbot.waitUntil(lambda: tab.banner.isVisible(), timeout=WAIT)
    assert "Could not load the rollout history" in tab.banner.text
    assert tab.history_text.toPlainText() == shown  # the last good history stays
    qtbot.waitUntil(lambda: tab.view_history_button.isEnabled(), timeout=WAIT)
    click(qtbot, tab.view_history_button)
    qtbot.waitUntil(lambda: not tab.banner.isVisible(), timeout=WAIT)
    assert tab.history_text.toPlainText() == kubectl_history(demo_cluster, "shop", "storefront")


# --------------------------------------------------------------------------------------------
# a rollback to a crash-looping revision
# --------------------------------------------------------------------------------------------


def test_crash_looping_target_fails_and_offers_the_next_steps(
    qtbot: Any, cluster: Callable[..., Cluster], make_session: Callable[..., Session]
) -> None:
    cl = cluster(scenario="demo", tls=True, token=TOKEN, pod_start_delay=0.2, crash_backoff=0.3)
    ns, name = "shop", "cart"
    # A short progress deadline so the failed rollout is declared in seconds, not minutes.
    cl.ok("patch", f"deployment/{name}", "-n", ns, "-p", '{"spec":{"progressDeadlineSeconds":3}}')
    # Get off the crash-looping revision 3 first; then the previous revision is the bad one.
    cl.ok("rollout", "undo", f"deployment/{name}", "-n", ns)
    cl.settle()
    session = make_session(cl.kubeconfig, Settings(rollout_timeout_s=60))

    # Host the tab the way the operations dialog does, next to a Pod List tab.
    window = QDialog()
    qtbot.addWidget(window)
    tabs = QTabWidget(window)
    tabs.setObjectName("operationsTabs")
    QVBoxLayout(window).addWidget(tabs)
    service = service_of(session, ns, name)
    tab = DeploymentTab(session, service, window)
    pods = QWidget(window)
    pods.setObjectName("podsTab")
    tabs.addTab(tab, tab.title)
    tabs.addTab(pods, "Pod List")
    session.events.service_changed.connect(lambda key: tab.refresh())
    window.show()
    tab.ensure_loaded()
    qtbot.waitUntil(lambda: tab.view is not None, timeout=WAIT)
    assert tab.view is not None
    assert tab.view.history.current_revision == 4

    dialog = open_confirmation(qtbot, tab)
    assert dialog.plan.target_revision == 3
    assert "2.5.0-crashloop" in " ".join(dialog.plan.target_images)
    confirm_and_wait(qtbot, dialog)
    outcome = dialog.outcome
    assert outcome is not None
    assert outcome.verdict in ("rollout-failed", "verification-failed", "rollout-stuck")
    assert not outcome.succeeded
    assert "exceeded its progress deadline" in dialog.status_label.text()
    assert "failed" in dialog.outcome_label.text()
    assert outcome.report is not None
    assert not outcome.report.passed
    assert "pods not ready" in dialog.verification.summary.text()
    further = dialog.findChild(QPushButton, "rollBackFurtherButton")
    logs = dialog.findChild(QPushButton, "viewLogsButton")
    assert further is not None
    assert logs is not None
    assert further.isVisible()
    assert logs.isVisible()
    assert [e["outcome"] for e in audit_entries(session)] == ["rollout failed"]

    # "View logs" switches the operations dialog to its Pod List.
    click(qtbot, logs)
    assert tabs.currentWidget() is pods
    tabs.setCurrentWidget(tab)

    # "Roll back further" plans the revision before the bad target: revision 1 (2.3.0).
    opened: list[ConfirmRollbackDialog] = []
    tab.confirm_dialog_opened.connect(opened.append)
    click(qtbot, further)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT)
    assert opened[0].plan.target_revision == 1
    assert opened[0].plan.can_proceed


def test_closing_the_dialog_mid_rollout_is_safe(
    qtbot: Any, demo_cluster: Cluster, session: Session
) -> None:
    tab = open_tab(qtbot, session, "shop", "storefront")
    dialog = open_confirmation(qtbot, tab)
    confirm = dialog.findChild(QPushButton, "confirmRollbackButton")
    assert confirm is not None
    click(qtbot, confirm)
    dialog.close()
    # The rollback still happens and is audited; the tab keeps working and shows it.
    qtbot.waitUntil(lambda: len(audit_entries(session)) == 1, timeout=ROLLOUT_WAIT)
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=ROLLOUT_WAIT)
    demo_cluster.settle()
    click(qtbot, tab.view_history_button)
    expected = kubectl_history(demo_cluster, "shop", "storefront")
    qtbot.waitUntil(lambda: tab.history_text.toPlainText() == expected, timeout=WAIT)
    assert "7 " in expected


def test_in_the_operations_dialog(qtbot: Any, demo_cluster: Cluster, session: Session) -> None:
    """The real host: the tab loads first, refreshes after the rollback through the dialog's
    own wiring, and "view logs" switches to the Pod List."""
    from kiops_desktop.ui.operations.dialog import OperationsDialog

    ns, name = "shop", "storefront"
    window = OperationsDialog(session, service_of(session, ns, name))
    qtbot.addWidget(window)
    window.show()
    tab = window.tab("deploymentTab")
    assert isinstance(tab, DeploymentTab)
    assert window.tabs.currentWidget() is tab
    qtbot.waitUntil(lambda: tab.view is not None, timeout=WAIT)
    dialog = open_confirmation(qtbot, tab)
    confirm_and_wait(qtbot, dialog)
    assert dialog.outcome is not None
    assert dialog.outcome.succeeded
    demo_cluster.settle()
    expected = kubectl_history(demo_cluster, ns, name)
    qtbot.waitUntil(lambda: tab.history_text.toPlainText() == expected, timeout=WAIT)
    dialog.view_logs_requested.emit()
    assert window.tabs.currentWidget() is window.tab("podsTab")
    window.close()
