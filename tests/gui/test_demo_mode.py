"""``--demo`` in-process, as a newcomer meets it: the demo services on the embedded sandbox, a
history, a rollback that works, a paused deployment that refuses, and nothing left behind."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton

from kiops_desktop.app import build_main_window
from kiops_desktop.ui.main_window import MainWindow
from kiops_desktop.ui.operations.dialog import OperationsDialog

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture
def demo_window(qtbot: Any) -> Any:
    window = build_main_window(["--demo"])
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.model.rowCount() == 9, timeout=60_000)
    yield window
    window.close()


def test_demo_opens_on_the_sandbox_and_cleans_up(qtbot: Any, demo_window: MainWindow) -> None:
    demo = demo_window.demo  # type: ignore[attr-defined]
    assert demo.kubeconfig.exists()
    assert demo.kubeconfig.stat().st_mode & 0o777 == 0o600
    assert "demo" in demo_window.windowTitle()
    names = sorted(s.name for s in demo_window.model.services)
    assert {"storefront", "cart", "api"} <= set(names)
    demo_window.close()
    assert not demo.directory.exists(), "the demo kubeconfig holds a token and must be removed"


def test_enter_opens_one_operations_dialog_per_service(qtbot: Any, demo_window: MainWindow) -> None:
    demo_window.select_service("storefront", "shop")
    demo_window.table.setFocus()
    qtbot.keyClick(demo_window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(demo_window.dialogs) == 1)
    dialog = next(iter(demo_window.dialogs.values()))
    assert isinstance(dialog, OperationsDialog)
    assert dialog.objectName() == "operationsDialog"
    assert [dialog.tabs.widget(i).objectName() for i in range(dialog.tabs.count())] == [
        "deploymentTab",
        "podsTab",
        "consoleTab",
    ]
    history = dialog.findChild(QPlainTextEdit, "historyText")
    assert history is not None
    qtbot.waitUntil(lambda: "deployment.apps/storefront" in history.toPlainText(), timeout=30_000)
    # Opening the same service again brings back the same dialog.
    assert demo_window.open_operations(demo_window.select_service("storefront", "shop")) is dialog
    assert len(demo_window.dialogs) == 1


def test_paused_deployment_refuses_with_kubectls_reason(
    qtbot: Any, demo_window: MainWindow
) -> None:
    dialog = demo_window.open_operations(demo_window.select_service("api", "payments"))
    assert isinstance(dialog, OperationsDialog)
    tab = dialog.tab("deploymentTab")
    opened: list[Any] = []
    tab.confirm_dialog_opened.connect(opened.append)  # type: ignore[attr-defined]
    button = tab.findChild(QPushButton, "immediateRollbackButton")
    assert button is not None
    qtbot.waitUntil(button.isEnabled, timeout=30_000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened), timeout=30_000)
    confirm = opened[0]
    refusal = confirm.findChild(QLabel, "rollbackRefusal")
    assert refusal is not None
    assert refusal.isVisible()
    assert "paused" in refusal.text()
    button = confirm.findChild(QPushButton, "confirmRollbackButton")
    assert button is None or not button.isVisible()
    confirm.close()
