"""The console's question before a command that changes something: what it changes, where, the
exact command that will run; Cancel is the default; on production contexts the typed-name guard
gates the Run button (STYLE.md §7: non-blocking — ``open()``, then a test clicks)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.services import Service
from ..ops.console import Command
from .guard import TypedNameGuard, production_badge


class ConsoleConfirmDialog(QDialog):
    def __init__(
        self,
        command: Command,
        service: Service,
        *,
        production: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmCommandDialog")
        self.setWindowTitle("Run a command that changes something?")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.command = command
        layout = QVBoxLayout(self)
        layout.setSpacing(10)

        headline = QLabel(f"<b>{_html(command.reason)}</b>", self)
        headline.setWordWrap(True)
        layout.addWidget(headline)

        where = command.context or service.context
        place = (
            f"{'context' if command.program != 'podman' else 'connection'} <b>{_html(where)}</b>"
        )
        if command.namespace:
            place += f" · namespace <b>{_html(command.namespace)}</b>"
        elif command.program == "kubectl":
            place += " · <b>all namespaces</b>"
        where_row = QHBoxLayout()
        where_label = QLabel(f"It runs on {place}:", self)
        where_label.setWordWrap(True)
        where_row.addWidget(where_label, 1)
        if production:
            where_row.addWidget(production_badge(self), 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(where_row)

        shown = QPlainTextEdit(command.display, self)
        shown.setObjectName("confirmCommandText")
        shown.setReadOnly(True)
        shown.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        shown.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        line_height = shown.fontMetrics().lineSpacing()
        shown.setFixedHeight(line_height * 3 + 14)
        layout.addWidget(shown)

        after = QLabel(
            "When it finishes, the other tabs of this service reload and the command is written "
            "to the activity log.",
            self,
        )
        after.setWordWrap(True)
        after.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(after)

        self.guard: TypedNameGuard | None = None
        if production:
            self.guard = TypedNameGuard(service.name, where, self)
            layout.addWidget(self.guard)

        buttons = QDialogButtonBox(self)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = QPushButton("Run command", self)
        self.run_button.setObjectName("confirmCommandButton")
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.AcceptRole)
        # Cancel is what Enter does: a reflex keypress must never run a change.
        self.run_button.setAutoDefault(False)
        self.run_button.setDefault(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self._accept_if_allowed)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        if self.guard is not None:
            self.guard.satisfied_changed.connect(self.run_button.setEnabled)
            self.run_button.setEnabled(False)
        self.setMinimumWidth(700)

    def _accept_if_allowed(self) -> None:
        if self.guard is None or self.guard.satisfied:
            self.accept()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
