"""The small "Registry login" form: host, user, password or access token. Save stores the secret
in the OS keyring (and only host + user in the login index) in a job. The secret field is
cleared after a save and whenever the form closes."""

from __future__ import annotations

import logging

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

from ..connections.credentials import CredentialStore, KeyringUnavailable, RegistryLogin
from .cluster_form import ERROR_STYLE
from .tasks import TaskContext, TaskRunner, error_text

log = logging.getLogger(__name__)

REGISTRY_KEY = "connections/registry-logins"  # serialises writes of the login index


class RegistryLoginForm(QDialog):
    """Emits ``login_saved`` with the :class:`RegistryLogin` (host and user, no secret)."""

    login_saved = Signal(object)
    keyring_failed = Signal(object)  # KeyringUnavailable

    def __init__(
        self, runner: TaskRunner, store: CredentialStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("registryLoginDialog")
        self.setWindowTitle("Registry login")
        self._runner = runner
        self._store = store
        self.saving = False

        intro = QLabel(
            "Used to list tags and digests and to pull images. The password or token is stored "
            "in the OS keyring only — never in ~/.docker/config.json.",
            self,
        )
        intro.setWordWrap(True)
        self.host_input = QLineEdit(self)
        self.host_input.setObjectName("registryHostInput")
        self.host_input.setPlaceholderText("harbor.example.com or host:port")
        self.user_input = QLineEdit(self)
        self.user_input.setObjectName("registryUserInput")
        self.user_input.setPlaceholderText("user or robot account")
        self.secret_input = QLineEdit(self)
        self.secret_input.setObjectName("registrySecretInput")
        self.secret_input.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_input.setPlaceholderText("password or access token")
        self.secret_input.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Registry:", self.host_input)
        form.addRow("&User:", self.user_input)
        form.addRow("&Password or token:", self.secret_input)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("registryFormError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        buttons = QDialogButtonBox(self)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveRegistryLoginButton")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""

    def save(self) -> None:
        if self.saving:
            return
        self.show_error("")
        host, user, secret = (
            self.host_input.text(),
            self.user_input.text(),
            self.secret_input.text(),
        )
        store = self._store

        def job(context: TaskContext) -> RegistryLogin:
            return store.set_registry_login(host, user, secret)

        self.saving = True
        self.save_button.setEnabled(False)
        self._runner.submit(
            job,
            description=f"store the login for {host.strip()}",
            on_done=self._on_saved,
            on_error=self._on_failed,
            owner=self,
            key=REGISTRY_KEY,
            mutation=True,
        )

    def _on_saved(self, login: RegistryLogin) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.secret_input.clear()
        log.info("Stored the registry login of %s for %s", login.username, login.host)
        self.login_saved.emit(login)
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.show_error(error_text(error))
        if isinstance(error, KeyringUnavailable):
            self.keyring_failed.emit(error)

    def done(self, result: int) -> None:
        # The secret never outlives the form in a hidden widget.
        self.secret_input.clear()
        super().done(result)
