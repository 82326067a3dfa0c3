"""The rollback confirmation dialog on its own: what it shows for a plan (made by the runtime
against the demo sandbox), that nothing but a click on the confirm button rolls back, the
production guard, and the pure renderers behind its rich text."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QWidget

from kiops_desktop.core.findings import Finding
from kiops_desktop.core.rollback import PAUSED_MESSAGE, RollbackPlan
from kiops_desktop.core.services import Service
from kiops_desktop.core.template_diff import DiffEntry, TemplateDiff
from kiops_desktop.core.verification import Check, VerificationReport
from kiops_desktop.ui.rollback_dialog import ConfirmRollbackDialog
from kiops_desktop.ui.rollback_render import (
    MANUAL_CHECKLIST,
    diff_html,
    findings_html,
    revision_caption,
)
from kiops_desktop.ui.session import Session
from kiops_desktop.ui.verification_view import VerificationView
from tests.gui.conftest import Cluster, service_of

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def plain(rich_text: str) -> str:
    document = QTextDocument()
    document.setHtml(rich_text)
    return document.toPlainText()


@pytest.fixture
def session(demo_cluster: Cluster, make_session: Callable[..., Session]) -> Session:
    return make_session(demo_cluster.kubeconfig)


def make_plan(session: Session, namespace: str, name: str, to: int | None = None) -> RollbackPlan:
    # Test set-up only: the app plans in a runner job (see DeploymentTab.start_rollback).
    return session.kube("kiops-sandbox").plan_rollback(namespace, name, to)


def open_dialog(
    qtbot: Any, session: Session, service: Service, plan: RollbackPlan
) -> ConfirmRollbackDialog:
    dialog = ConfirmRollbackDialog.open_for(session, service, plan)
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    assert not dialog.isModal()
    return dialog


def test_the_dialog_shows_the_whole_plan(qtbot: Any, session: Session) -> None:
    service = service_of(session, "payments", "ledger")
    plan = make_plan(session, "payments", "ledger", 1)
    dialog = open_dialog(qtbot, session, service, plan)
    assert dialog.objectName() == "confirmRollbackDialog"
    text = plain(dialog.diff_view.toHtml())
    assert "registry.example.com/payments/ledger:2.0.0" in text
    assert "registry.example.com/payments/ledger:1.8.0" in text
    assert "configmap ledger-config-v1" in text
    precautions = plain(dialog.precautions_label.text())
    assert 'ConfigMap "ledger-config-v1" is missing' in precautions
    assert "DANGER" in precautions
    assert "Recreate ConfigMap" in precautions  # the fix comes with it
    cards = " ".join(plain(label.text()) for label in dialog.findChildren(QLabel))
    assert "revision 2" in cards
    assert "revision 1" in cards
    boxes = [b for b in dialog.findChildren(QCheckBox) if b.objectName().startswith("checklist")]
    assert [b.text() for b in boxes] == [item for item, _ in MANUAL_CHECKLIST]
    topics = " ".join(b.text().lower() for b in boxes)
    for topic in ("schema", "data", "migrations", "configmaps and secrets", "external apis"):
        assert topic in topics
    assert dialog.findChild(QLineEdit, "rollbackReason") is not None
    assert dialog.findChild(QWidget, "typedNameInput") is None  # not a production context
    confirm = dialog.findChild(QPushButton, "confirmRollbackButton")
    cancel = dialog.findChild(QPushButton, "cancelRollbackButton")
    assert confirm is not None
    assert cancel is not None
    assert confirm.isEnabled()
    assert cancel.isDefault()
    assert not confirm.isDefault()
    assert not confirm.autoDefault()


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_only_the_confirm_button_rolls_back(
    qtbot: Any, demo_cluster: Cluster, session: Session, key: Qt.Key
) -> None:
    service = service_of(session, "shop", "storefront")
    dialog = open_dialog(qtbot, session, service, make_plan(session, "shop", "storefront"))
    before = demo_cluster.deployment("storefront", "shop")["metadata"]["generation"]
    reason = dialog.findChild(QLineEdit, "rollbackReason")
    assert reason is not None
    qtbot.keyClicks(reason, "just looking")
    with qtbot.waitSignal(dialog.finished, timeout=5000):
        qtbot.keyClick(reason, key)  # Enter lands on Cancel, the default button
    qtbot.waitUntil(lambda: not session.runner.busy, timeout=10_000)
    assert demo_cluster.deployment("storefront", "shop")["metadata"]["generation"] == before
    assert not session.audit.path.exists()


def test_a_paused_plan_shows_why_and_what_resuming_would_do(qtbot: Any, session: Session) -> None:
    service = service_of(session, "payments", "api")
    plan = make_plan(session, "payments", "api")
    assert not plan.can_proceed
    dialog = open_dialog(qtbot, session, service, plan)
    refusal = dialog.findChild(QWidget, "rollbackRefusal")
    assert refusal is not None
    text = plain(refusal.text())  # type: ignore[attr-defined]
    assert PAUSED_MESSAGE in text
    assert "kubectl rollout resume deployment/api -n payments" in text
    assert "payments/api:5.0.0" in plain(dialog.diff_view.toHtml())
    assert dialog.findChild(QPushButton, "confirmRollbackButton") is None
    assert dialog.findChild(QPushButton, "previewRollbackButton") is None
    assert dialog.findChild(QLineEdit, "rollbackReason") is None
    close = dialog.findChild(QPushButton, "cancelRollbackButton")
    assert close is not None
    assert close.text() == "Close"
    dialog.confirm()  # the programmatic path refuses too
    assert dialog.pages.currentWidget() is dialog.confirm_page


def test_a_production_service_asks_for_its_name(qtbot: Any, session: Session) -> None:
    # The Service's own flag is enough (the main window sets it from the patterns).
    service = dataclasses.replace(service_of(session, "shop", "storefront"), production=True)
    dialog = open_dialog(qtbot, session, service, make_plan(session, "shop", "storefront"))
    assert dialog.findChild(QWidget, "productionBadge") is not None
    confirm = dialog.findChild(QPushButton, "confirmRollbackButton")
    typed = dialog.findChild(QLineEdit, "typedNameInput")
    assert confirm is not None
    assert typed is not None
    assert not confirm.isEnabled()
    dialog.confirm()  # ignored while the name is missing
    assert dialog.pages.currentWidget() is dialog.confirm_page
    qtbot.keyClicks(typed, "Storefront")
    assert not confirm.isEnabled()  # exact name, exact case
    typed.clear()
    qtbot.keyClicks(typed, "storefront")
    assert confirm.isEnabled()


# --------------------------------------------------------------------------------------------
# renderers and the verification view (no cluster needed, but cheap to keep together)
# --------------------------------------------------------------------------------------------


def test_diff_html_reads_like_a_diff() -> None:
    diff = TemplateDiff(
        (
            DiffEntry("container web", "image", "app:2", "app:1"),
            DiffEntry("container web", "env FOO", None, '"bar"'),
            DiffEntry("container web", "env OLD", '"x"', None),
            DiffEntry("container sidecar", "container", "proxy:1", None),
            DiffEntry(
                "container web", "env TOKEN", "(hidden literal value)", "(hidden literal value)"
            ),
            DiffEntry("pod", "label <b>", "a&b", "<i>"),
        )
    )
    text = plain(diff_html(diff, before="live", after="revision 1", empty="none"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert "\N{MINUS SIGN} app:2" in lines
    assert "+ app:1" in lines
    assert '+ "bar"' in lines
    assert '\N{MINUS SIGN} "x"' in lines
    assert "\N{MINUS SIGN} container (image proxy:1)" in lines
    assert "~ changed (hidden literal value)" in lines
    assert "\N{MINUS SIGN} a&b" in lines  # escaped, not interpreted
    assert "+ <i>" in lines
    assert "none" in plain(diff_html(TemplateDiff(()), before="a", after="b", empty="none"))


def test_findings_html_and_captions() -> None:
    findings = (
        Finding("danger", "missing-secret", "Secret <s> is missing", "detail", "kubectl apply"),
        Finding("info", "note", "Just so you know", "more", None),
    )
    text = plain(findings_html(findings, empty="nothing"))
    assert "DANGER" in text
    assert "Secret <s> is missing" in text
    assert "Fix: kubectl apply" in text
    assert "NOTE" in text
    assert plain(findings_html((), empty="nothing")).strip() == "nothing"
    assert revision_caption(3, ("a:1", "b:2")) == "revision 3 (a:1, b:2)"
    assert revision_caption(None, ()) == "the current template"


def test_verification_view_shows_each_check_with_evidence(qtbot: Any) -> None:
    view = VerificationView()
    qtbot.addWidget(view)
    assert view.isHidden()
    report = VerificationReport(
        (
            Check("pods ready", "failed", 'pods not ready (0 of 2 ready): "web-1" <CrashLoop>'),
            Check("health check", "skipped", "no health URL configured"),
        )
    )
    view.set_report(report)
    assert not view.isHidden()
    assert "Verification failed" in plain(view.summary.text())
    evidence = view.findChild(QWidget, "checkEvidence_0")
    outcome = view.findChild(QWidget, "checkOutcome_0")
    assert evidence is not None
    assert outcome is not None
    assert evidence.text() == 'pods not ready (0 of 2 ready): "web-1" <CrashLoop>'  # type: ignore[attr-defined]
    assert outcome.text() == "FAILED"  # type: ignore[attr-defined]
    view.set_unavailable("the API went away")
    assert "could not run" in plain(view.summary.text())
    assert view.report is None
    assert json.dumps(view.summary.text())  # plain data, no exception on the way out
