"""The small "Registry login" form: host, user, password or access token. Save stores the secret
in the OS keyring (and only host + user in the login index) in a job. The secret field is
cleared after a save and whenever the form closes."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from ..connections.credentials import CredentialStore, RegistryLogin
from .secret_form import SecretForm
from .tasks import TaskContext, TaskRunner

log = logging.getLogger(__name__)

REGISTRY_KEY = "connections/registry-logins"  # serialises writes of the login index


class RegistryLoginForm(SecretForm):
    """Emits ``login_saved`` with the :class:`RegistryLogin` (host and user, no secret)."""

    login_saved = Signal(object)

    def __init__(
        self, runner: TaskRunner, store: CredentialStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            runner,
            store,
            names="registryForm",
            save_button_name="saveRegistryLoginButton",
            parent=parent,
        )
        self.setObjectName("registryLoginDialog")
        self.setWindowTitle("Registry login")

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
        self._secret_input("registrySecretInput", "password or access token")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Registry:", self.host_input)
        form.addRow("&User:", self.user_input)
        form.addRow("&Password or token:", self.secret_input)
        self._lay_out(intro, form, 480)

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

        self._submit(
            job,
            description=f"store the login for {host.strip()}",
            key=REGISTRY_KEY,
            saved=self._on_saved,
        )

    def _on_saved(self, login: RegistryLogin) -> None:
        log.info("Stored the registry login of %s for %s", login.username, login.host)
        self.login_saved.emit(login)
