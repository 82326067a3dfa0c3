"""Render the app's screens to PNGs under docs/screenshots (``make screenshots``).

Runs the real app on the embedded demo sandbox, offscreen, drives it the way an operator would
(open a service, view its history, ask for a rollback, look at pods and the console) and grabs
each window. The README shows these; look at them after UI changes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KIOPS_HOME"] = tempfile.mkdtemp(prefix="kiops-shots-")

from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")


def pump(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, name: str) -> None:
    pump(0.3)
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path}")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication([sys.argv[0]])
    from kiops_desktop.app import build_main_window
    from kiops_desktop.ui.main_window import MainWindow
    from kiops_desktop.ui.operations.dialog import OperationsDialog

    window = build_main_window(["--demo"])
    assert isinstance(window, MainWindow)
    window.resize(1280, 720)
    wait_for("the demo services", lambda: window.model.rowCount() >= 9)
    pump(2.5)  # pods of the demo come up after their start delay
    window.select_service("storefront", "shop")
    save(window, "main-window")

    dialog = window.open_operations(window.select_service("storefront", "shop"))
    assert isinstance(dialog, OperationsDialog)
    dialog.resize(1180, 760)
    deployment = dialog.tab("deploymentTab")
    history = deployment.findChild(QPlainTextEdit, "historyText")
    assert history is not None
    wait_for("the history", lambda: bool(history.toPlainText()))
    deployment.select_revision(4)  # type: ignore[attr-defined]
    save(dialog, "operations-deployment")

    opened: list[QWidget] = []
    deployment.confirm_dialog_opened.connect(opened.append)  # type: ignore[attr-defined]
    deployment.start_rollback(4)  # type: ignore[attr-defined]
    wait_for("the confirmation dialog", lambda: bool(opened))
    confirm = opened[0]
    confirm.resize(900, 820)
    save(confirm, "confirm-rollback")
    confirm.close()

    dialog.tabs.setCurrentWidget(dialog.tab("podsTab"))
    pump(2.0)
    save(dialog, "operations-pods")

    console = dialog.tab("consoleTab")
    dialog.tabs.setCurrentWidget(console)
    console.run_command("kubectl rollout history deployment/storefront")  # type: ignore[attr-defined]
    pump(3.0)
    save(dialog, "operations-console")

    cart = window.open_operations(window.select_service("cart", "shop"))
    assert isinstance(cart, OperationsDialog)
    cart.resize(1180, 760)
    cart.tabs.setCurrentWidget(cart.tab("podsTab"))
    pump(3.0)
    save(cart, "operations-pods-crashloop")

    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
