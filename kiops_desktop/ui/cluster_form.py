"""The "Add cluster" form: server URL, CA (file, pasted, or an explicit and loudly-warned "skip TLS
verification"), bearer token. Save runs :func:`add_cluster` in a job: the token goes to the OS
keyring, the entry (with the exec plugin, no token) to the app's own kubeconfig.

The token lives only in its password field while the form is open: it is cleared after a
successful save and whenever the form closes, never logged, never echoed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..connections.clusters import INSECURE_WARNING, AddedCluster, add_cluster
from ..connections.credentials import CredentialStore, KeyringUnavailable
from .tasks import TaskContext, TaskRunner, error_text

log = logging.getLogger(__name__)

ERROR_STYLE = "QLabel { color:#c62828; }"
WARNING_STYLE = (
    "QLabel { background:#c62828; color:white; font-weight:bold; border-radius:4px;"
    " padding:6px 8px; }"
)
APP_KUBECONFIG_KEY = "connections/app-kubeconfig"  # serialises every write of that file


class ClusterForm(QDialog):
    """Emits ``cluster_added`` with the :class:`AddedCluster` after a successful save."""

    cluster_added = Signal(object)
    keyring_failed = Signal(object)  # KeyringUnavailable: the parent updates its status line

    def __init__(
        self,
        runner: TaskRunner,
        store: CredentialStore,
        *,
        app_kubeconfig: Path | None = None,
        user_kubeconfigs: tuple[Path, ...] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("addClusterDialog")
        self.setWindowTitle("Add cluster")
        self._runner = runner
        self._store = store
        self._app_kubeconfig = app_kubeconfig
        self._user_kubeconfigs = user_kubeconfigs
        self.saving = False

        intro = QLabel(
            "The token is stored in the OS keyring. KIOPS Desktop writes the cluster to its own "
            "kubeconfig with an exec plugin that reads the token from the keyring — kubectl "
            "and the app both use it; your ~/.kube/config is not changed.",
            self,
        )
        intro.setWordWrap(True)
        intro.setObjectName("clusterFormIntro")

        self.name_input = QLineEdit(self)
        self.name_input.setObjectName("clusterNameInput")
        self.name_input.setPlaceholderText("e.g. prod-eu (also the context name)")
        self.server_input = QLineEdit(self)
        self.server_input.setObjectName("clusterServerInput")
        self.server_input.setPlaceholderText("https://k8s.example.com:6443")
        self.namespace_input = QLineEdit("default", self)
        self.namespace_input.setObjectName("clusterNamespaceInput")

        self.ca_file_input = QLineEdit(self)
        self.ca_file_input.setObjectName("clusterCaFileInput")
        self.ca_file_input.setPlaceholderText("CA certificate file (PEM)")
        self.ca_browse = QPushButton("Browse…", self)
        self.ca_browse.setObjectName("clusterCaBrowseButton")
        self.ca_browse.setAutoDefault(False)
        self.ca_browse.clicked.connect(self._browse_ca)
        ca_file_row = QHBoxLayout()
        ca_file_row.setContentsMargins(0, 0, 0, 0)
        ca_file_row.addWidget(self.ca_file_input, 1)
        ca_file_row.addWidget(self.ca_browse)
        self.ca_paste_input = QPlainTextEdit(self)
        self.ca_paste_input.setObjectName("clusterCaPasteInput")
        self.ca_paste_input.setPlaceholderText(
            "…or paste it: -----BEGIN CERTIFICATE----- … (or a kubeconfig's "
            "certificate-authority-data)"
        )
        self.ca_paste_input.setTabChangesFocus(True)
        self.ca_paste_input.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.ca_note = QLabel(
            "Leave both empty when a public CA signed the server's certificate.", self
        )
        self.ca_note.setWordWrap(True)
        self.ca_note.setEnabled(False)  # greyed: a note, not a field
        # Word-wrapped labels otherwise keep a narrow preferred width in the field column.
        self.ca_note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        self.insecure_check = QCheckBox("Skip TLS verification (insecure)", self)
        self.insecure_check.setObjectName("clusterInsecureCheck")
        self.insecure_check.toggled.connect(self._on_insecure_toggled)
        self.insecure_warning = QLabel("⚠ " + INSECURE_WARNING, self)
        self.insecure_warning.setObjectName("clusterInsecureWarning")
        self.insecure_warning.setWordWrap(True)
        self.insecure_warning.setStyleSheet(WARNING_STYLE)
        self.insecure_warning.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred
        )
        self.insecure_warning.hide()

        self.token_input = QLineEdit(self)
        self.token_input.setObjectName("clusterTokenInput")
        self.token_input.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_input.setPlaceholderText("bearer token (stored in the keyring only)")
        # No autocompletion, no input method history: the token must not linger anywhere.
        self.token_input.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.addRow("&Name:", self.name_input)
        form.addRow("&Server URL:", self.server_input)
        # A row whose field is a layout gets no buddy from QFormLayout: set it by hand so the
        # mnemonic works and no literal "&" shows.
        ca_label = QLabel("&CA certificate:", self)
        ca_label.setBuddy(self.ca_file_input)
        form.addRow(ca_label, ca_file_row)
        form.addRow("", self.ca_paste_input)
        form.addRow("", self.ca_note)
        form.addRow("", self.insecure_check)
        form.addRow(self.insecure_warning)  # the full width: it must not be missed
        form.addRow("&Token:", self.token_input)
        form.addRow("Names&pace:", self.namespace_input)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("clusterFormError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("clusterFormProgress")
        self.progress_label.hide()

        self.buttons = QDialogButtonBox(self)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveClusterButton")
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(600)

    # -- fields --------------------------------------------------------------------------------
    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate", "", "Certificates (*.crt *.pem *.cer);;All files (*)"
        )
        if path:
            self.ca_file_input.setText(path)

    def _on_insecure_toggled(self, on: bool) -> None:
        self.insecure_warning.setVisible(on)
        for widget in (self.ca_file_input, self.ca_browse, self.ca_paste_input):
            widget.setEnabled(not on)
        # Grow (or shrink back) in height for the warning; keep the width the user chose. The
        # layout is activated first so the size hint counts the warning's new visibility.
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), self.sizeHint().height())

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""

    def _set_busy(self, busy: bool) -> None:
        self.saving = busy
        self.save_button.setEnabled(not busy)
        self.progress_label.setText("Storing the token in the keyring and writing the entry…")
        self.progress_label.setVisible(busy)

    # -- saving --------------------------------------------------------------------------------
    def save(self) -> None:
        if self.saving:
            return
        self.show_error("")
        insecure = self.insecure_check.isChecked()
        ca_file_text = "" if insecure else self.ca_file_input.text().strip()
        ca_pem_text = "" if insecure else self.ca_paste_input.toPlainText().strip()
        name = self.name_input.text()
        server = self.server_input.text()
        namespace = self.namespace_input.text()
        token = self.token_input.text()
        store, app_kubeconfig, user_kubeconfigs = (
            self._store,
            self._app_kubeconfig,
            self._user_kubeconfigs,
        )

        def job(context: TaskContext) -> AddedCluster:
            return add_cluster(
                name,
                server,
                token,
                store=store,
                ca_pem=ca_pem_text or None,
                ca_file=Path(ca_file_text).expanduser() if ca_file_text else None,
                insecure_skip_tls_verify=insecure,
                namespace=namespace,
                app_kubeconfig=app_kubeconfig,
                user_kubeconfigs=user_kubeconfigs,
            )

        self._set_busy(True)
        self._runner.submit(
            job,
            description=f'add the cluster "{name.strip()}"',
            on_done=self._on_saved,
            on_error=self._on_failed,
            owner=self,
            key=APP_KUBECONFIG_KEY,
            mutation=True,
        )

    def _on_saved(self, added: AddedCluster) -> None:
        self._set_busy(False)
        self.token_input.clear()
        log.info("Added cluster %s (%s) to %s", added.name, added.server, added.kubeconfig)
        self.cluster_added.emit(added)
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.show_error(error_text(error))
        if isinstance(error, KeyringUnavailable):
            self.keyring_failed.emit(error)

    # -- closing -------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        # Whatever way the form closes, the token does not stay in a hidden widget.
        self.token_input.clear()
        super().done(result)
