"""A non-blocking message strip at the top of a window or tab (errors, warnings, notes).

Modal boxes are for confirmations and crashes only (STYLE.md §6); everything else that goes wrong
lands here, in the window or tab that asked, and in the log.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from ..connections.redact import redact
from .tasks import error_text

log = logging.getLogger(__name__)

_STYLES = {
    "error": "background:#fdecea; color:#611a15; border:1px solid #f5c2c0;",
    "warning": "background:#fff4e5; color:#663c00; border:1px solid #ffd8a8;",
    "info": "background:#e8f4fd; color:#0d3c61; border:1px solid #b6dcfb;",
    "success": "background:#edf7ed; color:#1e4620; border:1px solid #b7dfb9;",
}


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setObjectName("bannerText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.level = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, level: str = "error", *, timeout_ms: int = 0) -> None:
        self.level = level
        self.setStyleSheet(
            f"QFrame#banner {{{_STYLES.get(level, _STYLES['info'])} border-radius:4px;}}"
        )
        self.label.setText(redact(text))  # error sentences may quote a server's reply
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def show_error(self, error: BaseException | str, *, context: str = "") -> None:
        text = error if isinstance(error, str) else error_text(error)
        if context:
            text = f"{context}: {text}"
        log.warning("%s", redact(text))
        self.show_message(text, "error")

    @property
    def text(self) -> str:
        return self.label.text()
