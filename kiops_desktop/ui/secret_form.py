"""What the small forms that store a secret share (Add cluster, Registry login): the secret
field, the error line, Save and Cancel, a save that runs in a job as a serialised mutation, a
keyring failure passed on to the parent, and the secret cleared whenever the form closes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..connections.credentials import CredentialStore, KeyringUnavailable
from .tasks import TaskContext, TaskRunner, error_text

log = logging.getLogger(__name__)

ERROR_STYLE = "QLabel { color:#c62828; }"


class SecretForm(QDialog):
    """Subclasses build their fields, then call ``_lay_out``; their ``save`` reads the fields and
    calls ``_submit``."""

    keyring_failed = Signal(object)  # KeyringUnavailable: the parent updates its status line

    def __init__(
        self,
        runner: TaskRunner,
        store: CredentialStore,
        *,
        names: str,
        save_button_name: str,
        progress_text: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """``names``: the prefix of the error and progress labels' object names;
        ``progress_text``: what shows while a save runs (nothing when empty)."""
        super().__init__(parent)
        self._runner = runner
        self._store = store
        self._progress_text = progress_text
        self.saving = False

        self.error_label = QLabel(self)
        self.error_label.setObjectName(f"{names}Error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName(f"{names}Progress")
        self.progress_label.hide()

        self.buttons = QDialogButtonBox(self)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName(save_button_name)
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

    def _secret_input(self, object_name: str, placeholder: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setObjectName(object_name)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setPlaceholderText(placeholder)
        # No autocompletion, no input method history: the secret must not linger anywhere.
        field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.secret_input = field
        return field

    def _lay_out(self, intro: QLabel, form: QFormLayout, min_width: int) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(min_width)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""

    def save(self) -> None:
        raise NotImplementedError

    def _set_busy(self, busy: bool) -> None:
        self.saving = busy
        self.save_button.setEnabled(not busy)
        self.progress_label.setText(self._progress_text)
        self.progress_label.setVisible(busy and bool(self._progress_text))

    def _submit(
        self,
        job: Callable[[TaskContext], Any],
        *,
        description: str,
        key: str,
        saved: Callable[[Any], None],
    ) -> None:
        """Run ``job`` as a mutation serialised on ``key``; on success clear the secret, call
        ``saved`` with the result and close; on failure say why in the error line."""

        def on_done(result: Any) -> None:
            self._set_busy(False)
            self.secret_input.clear()
            saved(result)
            self.accept()

        self._set_busy(True)
        self._runner.submit(
            job,
            description=description,
            on_done=on_done,
            on_error=self._on_failed,
            owner=self,
            key=key,
            mutation=True,
        )

    def _on_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.show_error(error_text(error))
        if isinstance(error, KeyringUnavailable):
            self.keyring_failed.emit(error)

    def done(self, result: int) -> None:
        # Whatever way the form closes, the secret does not stay in a hidden widget.
        self.secret_input.clear()
        super().done(result)
