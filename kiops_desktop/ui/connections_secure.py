""" "Secure a kubeconfig": the findings of a scan (user, kind, masked preview, moved or why not),
one confirmation, then :func:`secure_kubeconfig` in a job and where the 0600 backup is.

The scan itself runs in the Connections dialog before this window opens; this window only shows
what was found and asks. Previews are already masked by the scanner: no secret is displayed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..connections.credentials import CredentialStore, KeyringUnavailable
from ..connections.secure_kubeconfig import Finding, SecureResult, secure_kubeconfig
from .connections_model import ConnectionRow, ConnectionsTableModel
from .secret_form import ERROR_STYLE
from .tasks import TaskContext, TaskRunner, error_text

log = logging.getLogger(__name__)

KIND_TEXT = {
    "token": "bearer token",
    "token-file": "token file",
    "password": "password",
    "client-key-data": "client key",
    "client-key-file": "client key file",
    "auth-provider": "auth-provider token",
    "exec-env": "exec plugin env",
}


def finding_rows(findings: Sequence[Finding]) -> list[ConnectionRow]:
    rows = []
    for i, f in enumerate(findings):
        action = "moves to the keyring" if f.movable else "stays (not movable)"
        rows.append(
            ConnectionRow(
                key=str(i),
                cells=(f.user, KIND_TEXT.get(f.kind, f.kind), f.field, f.preview, action),
                tone="ok" if f.movable else "pending",
                tone_column=4,
                tooltip=f.note,
            )
        )
    return rows


def result_text(result: SecureResult) -> str:
    moved = len(result.moved)
    text = (
        f"Secured {result.path}: {moved} secret{'s' if moved != 1 else ''} moved into the "
        f"keyring; the file now uses the kiops-desktop-credential plugin. The original is kept "
        f"at {result.backup} (readable only by you) — delete it once you have checked that "
        "everything works."
    )
    if result.left:
        text += f" {len(result.left)} finding(s) could not be moved and are still in the file."
    return text


class SecureKubeconfigDialog(QDialog):
    """Emits ``secured`` with the :class:`SecureResult` after the file was rewritten."""

    secured = Signal(object)
    keyring_failed = Signal(object)  # KeyringUnavailable

    def __init__(
        self,
        runner: TaskRunner,
        store: CredentialStore,
        path: Path,
        findings: Sequence[Finding],
        *,
        keyring_problem: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("secureKubeconfigDialog")
        self.setWindowTitle("Secure a kubeconfig")
        self._runner = runner
        self._store = store
        self.path = path
        self.findings = tuple(findings)
        self.secure_result: SecureResult | None = None
        self.running = False

        movable = sum(1 for f in self.findings if f.movable)
        left = len(self.findings) - movable
        summary = f"<b>{path}</b> holds {len(self.findings)} plaintext secret(s). "
        if movable:
            summary += (
                f"{movable} can move into the OS keyring; the file is then rewritten to use the "
                "kiops-desktop-credential exec plugin, and the original kept as a backup "
                "readable only by you."
            )
        else:
            summary += "None of them can be moved into the keyring (see the notes)."
        if left and movable:
            summary += f" {left} stay in the file (hover a row for why)."
        self.summary = QLabel(summary, self)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("secureSummary")

        self.model = ConnectionsTableModel(
            ("User", "Secret", "Field", "Preview (masked)", "What happens"), self
        )
        self.model.set_rows(finding_rows(self.findings))
        self.table = QTableView(self)
        self.table.setObjectName("secureFindingsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.notes = QLabel(self)
        self.notes.setObjectName("secureNotes")
        self.notes.setWordWrap(True)
        notes = [f"• {f.user} / {f.field}: {f.note}" for f in self.findings if f.note]
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))

        self.message = QLabel(self)
        self.message.setObjectName("secureMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        if keyring_problem:
            self.show_error(keyring_problem)

        self.buttons = QDialogButtonBox(self)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = QPushButton("Move into the keyring", self)
        self.confirm_button.setObjectName("confirmSecureButton")
        self.confirm_button.setEnabled(movable > 0)
        # Default to Cancel (STYLE.md §7): Enter must not rewrite a kubeconfig by accident.
        self.confirm_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        self.buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(820, 380)

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @property
    def message_text(self) -> str:
        return self.message.text() if self.message.isVisible() else ""

    def confirm(self) -> None:
        if self.running or self.secure_result is not None:
            return
        path, store, confirmed = self.path, self._store, self.findings

        def job(context: TaskContext) -> SecureResult:
            return secure_kubeconfig(path, store=store, confirmed=confirmed)

        self.running = True
        self.confirm_button.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Moving the secrets into the keyring…")
        self.message.show()
        self._runner.submit(
            job,
            description=f"secure {path}",
            on_done=self._on_secured,
            on_error=self._on_failed,
            owner=self,
            key=f"connections/secure/{path}",
            mutation=True,
        )

    def _on_secured(self, result: SecureResult) -> None:
        self.running = False
        self.secure_result = result
        log.info("Secured %s; backup at %s", result.path, result.backup)
        self.message.setStyleSheet("QLabel { color:#1e4620; }")
        self.message.setText(result_text(result))
        self.message.show()
        # Done: the only way on is to close; the backup path stays selectable to copy.
        self.confirm_button.hide()
        self.cancel_button.setText("Close")
        self.secured.emit(result)

    def _on_failed(self, error: BaseException) -> None:
        self.running = False
        self.confirm_button.setEnabled(True)
        self.show_error(error_text(error))
        if isinstance(error, KeyringUnavailable):
            self.keyring_failed.emit(error)
