"""The "Add cluster" form: server URL, CA (file, pasted, or an explicit and loudly-warned "skip TLS
verification"), bearer token. Save runs :func:`add_cluster` in a job: the token goes to the OS
keyring, the entry (with the exec plugin, no token) to the app's own kubeconfig.

The token lives only in its password field while the form is open: it is cleared after a
successful save and whenever the form closes, never logged, never echoed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from ..connections.clusters import INSECURE_WARNING, AddedCluster, add_cluster
from ..connections.credentials import CredentialStore
from .secret_form import SecretForm
from .tasks import TaskContext, TaskRunner

log = logging.getLogger(__name__)

WARNING_STYLE = (
    "QLabel { background:#c62828; color:white; font-weight:bold; border-radius:4px;"
    " padding:6px 8px; }"
)
APP_KUBECONFIG_KEY = "connections/app-kubeconfig"  # serialises every write of that file


class ClusterForm(SecretForm):
    """Emits ``cluster_added`` with the :class:`AddedCluster` after a successful save."""

    cluster_added = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        store: CredentialStore,
        *,
        app_kubeconfig: Path | None = None,
        user_kubeconfigs: tuple[Path, ...] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            runner,
            store,
            names="clusterForm",
            save_button_name="saveClusterButton",
            progress_text="Storing the token in the keyring and writing the entry…",
            parent=parent,
        )
        self.setObjectName("addClusterDialog")
        self.setWindowTitle("Add cluster")
        self._app_kubeconfig = app_kubeconfig
        self._user_kubeconfigs = user_kubeconfigs

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

        self.token_input = self._secret_input(
            "clusterTokenInput", "bearer token (stored in the keyring only)"
        )

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

        self._lay_out(intro, form, 600)

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

        self._submit(
            job,
            description=f'add the cluster "{name.strip()}"',
            key=APP_KUBECONFIG_KEY,
            saved=self._on_saved,
        )

    def _on_saved(self, added: AddedCluster) -> None:
        log.info("Added cluster %s (%s) to %s", added.name, added.server, added.kubeconfig)
        self.cluster_added.emit(added)
