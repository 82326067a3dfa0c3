"""An uncaught exception is logged (redacted) and shown in a crash dialog, never a silent exit."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from kiops_desktop.app import install_excepthook

pytestmark = pytest.mark.gui


def test_uncaught_exception_is_logged_and_shown(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    install_excepthook(tmp_path / "kiops-desktop.log")
    shown: list[tuple[str, str]] = []

    def close_crash_dialog() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.objectName() == "crashDialog":
                shown.append((widget.text(), widget.detailedText()))
                widget.close()
                return
        QTimer.singleShot(20, close_crash_dialog)

    QTimer.singleShot(20, close_crash_dialog)
    token = "Bearer abcdef0123456789abcdef0123456789"
    try:
        raise RuntimeError(f"the server said: Authorization: {token}")
    except RuntimeError as error:
        with caplog.at_level(logging.CRITICAL, logger="kiops_desktop"):
            sys.excepthook(type(error), error, error.__traceback__)
    assert len(shown) == 1
    text, details = shown[0]
    assert "RuntimeError" in text
    assert str(tmp_path / "kiops-desktop.log") in text
    assert "abcdef0123456789abcdef0123456789" not in text + details
    assert "Traceback" in details
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
