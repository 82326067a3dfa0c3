"""The Connections dialog: every place KIOPS Desktop connects to, with its state, and the
credentials it keeps for them in the OS keyring.

Tabs: Kubernetes contexts (of the session's kubeconfig list and the app's own file; "Test"
asks the API server for its version), clusters added in the app (add with the token into the
keyring, remove), Docker contexts and Podman connections (discovered as the CLIs do, probed),
registry logins (host and user only; the secret stays in the keyring).

Above the tabs, the keyring status: the backend in use, or - when it is missing or locked - the
sentence naming the backend tried and what to install or unlock, in a red banner. Every action
that needs the keyring checks it again in its own job and stops with that sentence.

Every keyring, disk, socket and network call runs in a task-runner job (STYLE.md §5): the UI
thread only builds widgets and shows results. No secret is shown, logged or kept: forms clear
their secret fields when they close.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..connections.clusters import (
    INSECURE_WARNING,
    AddedCluster,
    app_kubeconfig_path,
    list_clusters,
    remove_cluster,
)
from ..connections.credentials import (
    CredentialStore,
    KeyringStatus,
    KeyringUnavailable,
    RegistryLogin,
)
from ..connections.engines import (
    EngineEndpoint,
    ProbeResult,
    docker_endpoints,
    podman_endpoints,
    probe,
)
from ..connections.kubeconfig import Kubeconfig, KubeContext, load_kubeconfig
from ..connections.secure_kubeconfig import Finding, SecureResult, scan_kubeconfig
from ..runtimes.errors import OperationError
from .banner import Banner
from .cluster_form import APP_KUBECONFIG_KEY, ClusterForm
from .connections_model import KEY_ROLE, ConnectionRow, ConnectionsTableModel
from .connections_secure import SecureKubeconfigDialog, result_text
from .registry_login_form import REGISTRY_KEY, RegistryLoginForm
from .session import Session

log = logging.getLogger(__name__)

NOT_TESTED = "not tested"
TESTING = "testing…"
# Column of the state cell in each table (coloured by the row's tone).
CONTEXT_STATE_COLUMN = 4
ENGINE_STATE_COLUMN = 4


def _sentence(error: BaseException) -> tuple[str, str]:
    """(short sentence for a table cell, hint for its tooltip)."""
    if isinstance(error, OperationError):
        return error.sentence, error.hint or ""
    return f"{type(error).__name__}: {error}", ""


def discover_engines() -> list[EngineEndpoint]:
    """Docker contexts and Podman connections (podman's list runs a subprocess: call off the UI
    thread)."""
    return [*docker_endpoints(), *podman_endpoints()]


def probe_context(config_file: str, context: KubeContext) -> str:
    """Ask the context's API server for its version with a fresh client (a cached one would
    hide a kubeconfig changed since), and say so in words."""
    from ..runtimes.kubernetes import KubernetesRuntime

    runtime = KubernetesRuntime(config_file, context.name, context.namespace, read_timeout=15.0)
    try:
        return f"reachable, server {runtime.version()}"
    finally:
        runtime.close()


def _table(parent: QWidget, name: str, model: ConnectionsTableModel) -> QTableView:
    table = QTableView(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    # States are sentences ("There is no docker socket at …"): wrap them in the last column
    # instead of eliding the part that says why.
    table.setWordWrap(True)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # Fit-to-contents rows would otherwise hug one-line cells with no air around them.
    table.verticalHeader().setMinimumSectionSize(table.fontMetrics().height() + 10)
    header = table.horizontalHeader()
    header.setMinimumSectionSize(80)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


class _TablePane(QStackedWidget):
    """The table, or a sentence in its place while it has no rows (an empty grid with squeezed
    headers says nothing)."""

    def __init__(self, table: QTableView, empty_text: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.table = table
        self.empty = QLabel(empty_text, self)
        self.empty.setObjectName(f"{table.objectName()}Empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(
            "QLabel { color: palette(placeholder-text); border: 1px solid palette(mid); }"
        )
        self.addWidget(table)
        self.addWidget(self.empty)
        model = table.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._update)
        self._update()

    def set_empty_text(self, text: str) -> None:
        self.empty.setText(text)

    def _update(self) -> None:
        self.setCurrentWidget(self.table if self.table.model().rowCount() else self.empty)


def display_path(path: Path) -> str:
    """A path as a user reads it: the home directory as ``~``."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def short_path(path: Path, limit: int = 36) -> str:
    """A table cell's path: whole when short, else its last two parts (full in the tooltip)."""
    text = display_path(path)
    return text if len(text) <= limit else f"…/{path.parent.name}/{path.name}"


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { color: palette(placeholder-text); }")
    return label


class ConnectionsDialog(QDialog):
    """Non-modal; ``ConnectionsDialog(session, parent)``.

    ``store_factory`` builds the credential store (tests may pin a backend); ``app_kubeconfig``
    moves the app's own kubeconfig (default ``<config dir>/kubeconfig``); ``engine_discovery``
    lists the Docker/Podman endpoints (default: as the CLIs do).
    """

    # The kubeconfig list changed (a cluster added or removed, a kubeconfig secured): reload the
    # contexts and forget cached runtimes.
    clusters_changed = Signal()
    registry_logins_changed = Signal()
    # Progress for whoever waits (tests, the main window's status bar): which list just loaded
    # ("keyring", "contexts", "clusters", "engines", "registry").
    section_loaded = Signal(str)
    context_tested = Signal(str, bool)  # context name, reachable
    engine_tested = Signal(str, bool)  # endpoint key, answers
    scan_finished = Signal(object)  # list[Finding], or the error

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        store_factory: Callable[[], CredentialStore] = CredentialStore,
        app_kubeconfig: Path | None = None,
        engine_discovery: Callable[[], list[EngineEndpoint]] = discover_engines,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectionsDialog")
        self.setWindowTitle("Connections")
        self.setModal(False)
        self.session = session
        self.runner = session.runner
        self.store = store_factory()
        self.app_kubeconfig = app_kubeconfig_path(app_kubeconfig)
        self._engine_discovery = engine_discovery

        self.keyring_status: KeyringStatus | None = None
        self.keyring_error: KeyringUnavailable | None = None
        self.kubeconfig: Kubeconfig | None = None
        self._contexts: dict[str, KubeContext] = {}
        self._endpoints: dict[str, EngineEndpoint] = {}
        self.cluster_form: ClusterForm | None = None
        self.registry_form: RegistryLoginForm | None = None
        self.secure_dialog: SecureKubeconfigDialog | None = None
        self.confirm_box: QMessageBox | None = None

        self._build()
        self._enable_with_selection(self.contexts_table, self.test_context_button)
        self._enable_with_selection(self.clusters_table, self.remove_cluster_button)
        self._enable_with_selection(self.engines_table, self.test_engine_button)
        self._enable_with_selection(self.registry_table, self.remove_registry_button)
        self.resize(900, 560)
        self.reload_all()

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(8)

        keyring_row = QHBoxLayout()
        self.keyring_label = QLabel("Keyring: checking…", self)
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.keyring_check_button = QToolButton(self)
        self.keyring_check_button.setObjectName("keyringCheckButton")
        self.keyring_check_button.setText("Check again")
        self.keyring_check_button.setToolTip("Look for the keyring again (after unlocking it)")
        self.keyring_check_button.clicked.connect(self.check_keyring)
        keyring_row.addWidget(self.keyring_label, 1)
        keyring_row.addWidget(self.keyring_check_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(keyring_row)

        # Two strips: the keyring's problem stays while the operation messages come and go.
        self.keyring_banner = Banner(self)
        self.banner = Banner(self)
        layout.addWidget(self.keyring_banner)
        layout.addWidget(self.banner)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("connectionsTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_contexts_tab(), "Kubernetes contexts")
        self.tabs.addTab(self._build_clusters_tab(), "Added clusters")
        self.tabs.addTab(self._build_engines_tab(), "Docker && Podman")
        self.tabs.addTab(self._build_registry_tab(), "Registry logins")
        layout.addWidget(self.tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _tab(self, name: str) -> tuple[QWidget, QVBoxLayout]:
        tab = QWidget(self)
        tab.setObjectName(name)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(4, 8, 4, 4)
        return tab, layout

    def _button(
        self, text: str, name: str, slot: Callable[[], object], parent: QWidget
    ) -> QPushButton:
        button = QPushButton(text, parent)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _build_contexts_tab(self) -> QWidget:
        tab, layout = self._tab("kubernetesContextsTab")
        self.contexts_note = _note("", tab)
        self.contexts_model = ConnectionsTableModel(
            ("Context", "API server", "Namespace", "Kubeconfig", "State"), self
        )
        self.contexts_table = _table(tab, "contextsTable", self.contexts_model)
        self.contexts_table.doubleClicked.connect(lambda _: self.test_selected_context())
        row = QHBoxLayout()
        self.test_context_button = self._button(
            "Test connection", "testContextButton", self.test_selected_context, tab
        )
        self.test_all_contexts_button = self._button(
            "Test all", "testAllContextsButton", self.test_all_contexts, tab
        )
        self.reload_contexts_button = self._button(
            "Reload", "reloadContextsButton", self.reload_contexts, tab
        )
        self.secure_button = self._button(
            "Secure a kubeconfig…", "secureKubeconfigButton", self.choose_kubeconfig, tab
        )
        self.secure_button.setToolTip(
            "Find plaintext tokens and keys in a kubeconfig and move them into the keyring"
        )
        for button in (
            self.test_context_button,
            self.test_all_contexts_button,
            self.reload_contexts_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.secure_button)
        self.contexts_pane = _TablePane(self.contexts_table, "Loading the kubeconfig…", tab)
        layout.addWidget(self.contexts_note)
        layout.addWidget(self.contexts_pane, 1)
        layout.addLayout(row)
        return tab

    def _build_clusters_tab(self) -> QWidget:
        tab, layout = self._tab("addedClustersTab")
        note = _note(
            "Clusters added here keep their token in the OS keyring; KIOPS Desktop's own "
            f"kubeconfig, {display_path(self.app_kubeconfig)}, holds their entries with the "
            "kiops-desktop-credential exec plugin, so kubectl works with them too.",
            tab,
        )
        self.clusters_model = ConnectionsTableModel(
            ("Name", "API server", "Namespace", "TLS"), self
        )
        self.clusters_table = _table(tab, "addedClustersTable", self.clusters_model)
        row = QHBoxLayout()
        self.add_cluster_button = self._button(
            "Add cluster…", "addClusterButton", self.open_cluster_form, tab
        )
        self.remove_cluster_button = self._button(
            "Remove", "removeClusterButton", self.remove_selected_cluster, tab
        )
        row.addWidget(self.add_cluster_button)
        row.addWidget(self.remove_cluster_button)
        row.addStretch(1)
        layout.addWidget(note)
        layout.addWidget(
            _TablePane(
                self.clusters_table,
                "No clusters added in KIOPS Desktop yet. “Add cluster…” adds one from its API "
                "server address and a token.",
                tab,
            ),
            1,
        )
        layout.addLayout(row)
        return tab

    def _build_engines_tab(self) -> QWidget:
        tab, layout = self._tab("enginesTab")
        note = _note(
            "Docker contexts and Podman connections, found the way the docker and podman "
            "commands find them (DOCKER_HOST, DOCKER_CONTEXT, CONTAINER_HOST, their config "
            "files, the local sockets). The current one of each is marked.",
            tab,
        )
        self.engines_model = ConnectionsTableModel(
            ("Engine", "Name", "Address", "Found in", "State"), self
        )
        self.engines_table = _table(tab, "enginesTable", self.engines_model)
        self.engines_table.doubleClicked.connect(lambda _: self.test_selected_engine())
        row = QHBoxLayout()
        self.test_engine_button = self._button(
            "Test", "testEngineButton", self.test_selected_engine, tab
        )
        self.reload_engines_button = self._button(
            "Reload", "reloadEnginesButton", self.reload_engines, tab
        )
        row.addWidget(self.test_engine_button)
        row.addWidget(self.reload_engines_button)
        row.addStretch(1)
        layout.addWidget(note)
        self.engines_pane = _TablePane(
            self.engines_table, "Looking for Docker contexts and Podman connections…", tab
        )
        layout.addWidget(self.engines_pane, 1)
        layout.addLayout(row)
        return tab

    def _build_registry_tab(self) -> QWidget:
        tab, layout = self._tab("registryLoginsTab")
        note = _note(
            "Logins for image registries (tag lists, digests, pulls). Only the host and the "
            "user are listed; the password or token stays in the OS keyring.",
            tab,
        )
        self.registry_model = ConnectionsTableModel(("Registry", "User"), self)
        self.registry_table = _table(tab, "registryLoginsTable", self.registry_model)
        row = QHBoxLayout()
        self.registry_login_button = self._button(
            "Add login…", "registryLoginButton", self.open_registry_form, tab
        )
        self.remove_registry_button = self._button(
            "Remove", "removeRegistryLoginButton", self.remove_selected_registry_login, tab
        )
        row.addWidget(self.registry_login_button)
        row.addWidget(self.remove_registry_button)
        row.addStretch(1)
        layout.addWidget(note)
        layout.addWidget(
            _TablePane(
                self.registry_table,
                "No registry logins. Public registries need none; “Add login…” stores one for "
                "a private registry.",
                tab,
            ),
            1,
        )
        layout.addLayout(row)
        return tab

    def _enable_with_selection(self, table: QTableView, *buttons: QPushButton) -> None:
        """Buttons that act on the selected row are enabled only while there is one."""

        def sync() -> None:
            selected = table.selectionModel().hasSelection()
            for button in buttons:
                button.setEnabled(selected)

        table.selectionModel().selectionChanged.connect(sync)
        table.model().modelReset.connect(sync)
        sync()

    # -- loading -------------------------------------------------------------------------------
    def reload_all(self) -> None:
        self.check_keyring()
        self.reload_contexts()
        self.reload_clusters()
        self.reload_engines()
        self.reload_registry_logins()

    def kubeconfig_paths(self) -> tuple[Path, ...]:
        """The session's kubeconfig list, and the app's own file after it (as kubectl merges
        them: the user's names win), so clusters added here are listed and testable even
        when the session was started without that file."""
        paths = tuple(self.session.kubeconfig_paths)
        return paths if self.app_kubeconfig in paths else (*paths, self.app_kubeconfig)

    def _user_kubeconfigs(self) -> tuple[Path, ...]:
        return tuple(p for p in self.session.kubeconfig_paths if p != self.app_kubeconfig)

    def check_keyring(self) -> None:
        store = self.store
        self.keyring_label.setText("Keyring: checking…")
        self.runner.submit(
            lambda ctx: store.check(),
            description="check the keyring",
            on_done=self._on_keyring_ok,
            on_error=self._on_keyring_error,
            owner=self,
            key=f"connections/keyring/{id(self)}",
        )

    def _on_keyring_ok(self, status: KeyringStatus) -> None:
        self.keyring_status, self.keyring_error = status, None
        self.keyring_label.setText(
            f"<span style='color:#2e7d32'>●</span> Keyring: {status.backend} — ready"
        )
        if status.warning:
            self.keyring_banner.show_message(status.warning, "warning")
        else:
            self.keyring_banner.hide()
        self.section_loaded.emit("keyring")

    def _on_keyring_error(self, error: BaseException) -> None:
        if isinstance(error, KeyringUnavailable):
            self.show_keyring_problem(error)
        else:
            self.keyring_label.setText("Keyring: cannot be checked")
            self.keyring_banner.show_error(error, context="Keyring")
        self.section_loaded.emit("keyring")

    def show_keyring_problem(self, error: KeyringUnavailable) -> None:
        """The red banner with the sentence and the hint; also used when an action's own job
        finds the keyring gone."""
        self.keyring_status, self.keyring_error = None, error
        state = "locked" if error.kind == "keyring-locked" else "unavailable"
        backend = error.backend or "the OS keyring"
        self.keyring_label.setText(
            f"<span style='color:#c62828'>●</span> Keyring: {backend} — <b>{state}</b>; "
            "adding clusters, registry logins and securing kubeconfigs will not work until "
            "it is fixed."
        )
        # The sentence in bold, what to do on its own line: the hint is the part to act on.
        text = f"<b>{html.escape(error.sentence, quote=False)}</b>"
        if error.hint:
            text += f"<br>{html.escape(error.hint, quote=False)}"
        self.keyring_banner.show_message(text, "error")
        log.warning("Keyring: %s", error.message())

    @property
    def keyring_problem(self) -> str:
        return self.keyring_error.message() if self.keyring_error is not None else ""

    # contexts
    def reload_contexts(self) -> None:
        paths = self.kubeconfig_paths()
        users = len(paths) - 1
        self.contexts_note.setText(
            f"Contexts of your kubeconfig{'s' if users != 1 else ''} and of KIOPS Desktop's "
            "own (hover here for the files). “Test connection” asks the API server for its "
            "version with the context's own credentials."
        )
        self.contexts_note.setToolTip("\n".join(display_path(p) for p in paths))
        self.runner.submit(
            lambda ctx: load_kubeconfig(paths),
            description="read the kubeconfig",
            on_done=self._on_contexts,
            on_error=self._on_contexts_error,
            owner=self,
        )

    def _context_row(
        self, context: KubeContext, state: str = NOT_TESTED, tone: str = "muted", tip: str = ""
    ) -> ConnectionRow:
        name = context.name + ("  (current)" if context.is_current else "")
        return ConnectionRow(
            key=context.name,
            cells=(name, context.server, context.namespace, self._file_label(context), state),
            tone=tone,
            tone_column=CONTEXT_STATE_COLUMN,
            tooltip=tip or f"{context.source}",
            bold=context.is_current,
        )

    def _file_label(self, context: KubeContext) -> str:
        if context.source == self.app_kubeconfig:
            return "KIOPS Desktop"
        return short_path(context.source)

    def _on_contexts(self, config: Kubeconfig) -> None:
        old = {r.key: r for r in self.contexts_model.rows()}
        self.kubeconfig = config
        self._contexts = {c.name: c for c in config.contexts}
        rows = []
        for context in config.contexts:
            row = self._context_row(context)
            previous = old.get(context.name)
            if previous is not None and previous.cells[1] == context.server:
                # The same server: its last test result still says something.
                row = self._context_row(
                    context,
                    previous.cells[CONTEXT_STATE_COLUMN],
                    previous.tone,
                    previous.tooltip,
                )
            rows.append(row)
        self.contexts_pane.set_empty_text(
            "No contexts in these kubeconfig files. Add a cluster, or start KIOPS Desktop with "
            "--kubeconfig FILE."
        )
        self.contexts_model.set_rows(rows)
        self.section_loaded.emit("contexts")

    def _on_contexts_error(self, error: BaseException) -> None:
        self.contexts_model.set_rows([])
        self.banner.show_error(error, context="Cannot read the kubeconfig")
        self.section_loaded.emit("contexts")

    def _selected_key(self, table: QTableView) -> str | None:
        indexes = table.selectionModel().selectedRows()
        if not indexes:
            current = table.currentIndex()
            if not current.isValid():
                return None
            indexes = [current]
        key = indexes[0].data(KEY_ROLE)
        return str(key) if key is not None else None

    def select(self, table: QTableView, key: str) -> None:
        """Select the row with ``key`` (tests and keyboard users alike)."""
        model = table.model()
        for row in range(model.rowCount()):
            if model.index(row, 0).data(KEY_ROLE) == key:
                table.selectRow(row)
                return
        raise KeyError(key)

    def test_selected_context(self) -> None:
        name = self._selected_key(self.contexts_table)
        if name is None:
            self.banner.show_message("Select a context to test.", "info", timeout_ms=4000)
            return
        self.test_context(name)

    def test_all_contexts(self) -> None:
        for name in self._contexts:
            self.test_context(name)

    def test_context(self, name: str) -> None:
        context, config = self._contexts.get(name), self.kubeconfig
        if context is None or config is None:
            return
        config_file = config.config_file
        self.contexts_model.update_row(self._context_row(context, TESTING, "pending"))
        self.runner.submit(
            lambda ctx: probe_context(config_file, context),
            description=f'test the context "{name}"',
            on_done=lambda text: self._on_context_tested(context, text, None),
            on_error=lambda error: self._on_context_tested(context, "", error),
            owner=self,
            key=f"connections/test-context/{name}",
        )

    def _on_context_tested(
        self, context: KubeContext, text: str, error: BaseException | None
    ) -> None:
        if self._contexts.get(context.name) != context:
            return  # reloaded meanwhile with a different entry: the answer is stale
        if error is None:
            row = self._context_row(context, text, "ok")
        else:
            sentence, hint = _sentence(error)
            row = self._context_row(context, sentence, "error", hint or sentence)
        self.contexts_model.update_row(row)
        self.context_tested.emit(context.name, error is None)

    def context_state(self, name: str) -> str:
        return self.contexts_model.text(name, CONTEXT_STATE_COLUMN)

    # added clusters
    def reload_clusters(self) -> None:
        path = self.app_kubeconfig
        self.runner.submit(
            lambda ctx: list_clusters(path),
            description="list the added clusters",
            on_done=self._on_clusters,
            on_error=self._on_clusters_error,
            owner=self,
        )

    def _on_clusters(self, clusters: list[AddedCluster]) -> None:
        rows = []
        for c in clusters:
            if c.insecure:
                tls, tone, tip = "verification OFF", "error", INSECURE_WARNING
            elif c.has_ca:
                tls, tone, tip = "verified (own CA)", "ok", ""
            else:
                tls, tone, tip = "verified (system CAs)", "ok", ""
            rows.append(
                ConnectionRow(c.name, (c.name, c.server, c.namespace, tls), tone, 3, tooltip=tip)
            )
        self.clusters_model.set_rows(rows)
        self.section_loaded.emit("clusters")

    def _on_clusters_error(self, error: BaseException) -> None:
        self.clusters_model.set_rows([])
        self.banner.show_error(error, context="Cannot list the added clusters")
        self.section_loaded.emit("clusters")

    # engines
    def reload_engines(self) -> None:
        discovery = self._engine_discovery
        self.runner.submit(
            lambda ctx: discovery(),
            description="find the Docker contexts and Podman connections",
            on_done=self._on_engines,
            on_error=self._on_engines_error,
            owner=self,
            key=f"connections/engines/{id(self)}",
        )

    @staticmethod
    def engine_key(endpoint: EngineEndpoint) -> str:
        return f"{endpoint.engine}/{endpoint.name}"

    def _engine_row(
        self, endpoint: EngineEndpoint, state: str, tone: str, tip: str = ""
    ) -> ConnectionRow:
        engine = "Docker" if endpoint.engine == "docker" else "Podman"
        name = endpoint.name + ("  (current)" if endpoint.is_current else "")
        return ConnectionRow(
            key=self.engine_key(endpoint),
            cells=(engine, name, endpoint.host, endpoint.source, state),
            tone=tone,
            tone_column=ENGINE_STATE_COLUMN,
            tooltip=tip,
            bold=endpoint.is_current,
            name_column=1,
        )

    def _on_engines(self, endpoints: list[EngineEndpoint]) -> None:
        self._endpoints = {self.engine_key(e): e for e in endpoints}
        self.engines_pane.set_empty_text("No Docker context or Podman connection found.")
        self.engines_model.set_rows([self._engine_row(e, TESTING, "pending") for e in endpoints])
        self.section_loaded.emit("engines")
        # Local sockets answer (or fail) in milliseconds: probe them all at once.
        for key in self._endpoints:
            self.test_engine(key)

    def _on_engines_error(self, error: BaseException) -> None:
        self.engines_model.set_rows([])
        self.banner.show_error(error, context="Cannot list the Docker and Podman connections")
        self.section_loaded.emit("engines")

    def test_selected_engine(self) -> None:
        key = self._selected_key(self.engines_table)
        if key is None:
            self.banner.show_message("Select a connection to test.", "info", timeout_ms=4000)
            return
        self.test_engine(key)

    def test_engine(self, key: str) -> None:
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            return
        self.engines_model.update_row(self._engine_row(endpoint, TESTING, "pending"))
        self.runner.submit(
            lambda ctx: probe(endpoint),
            description=f"test {endpoint.engine} {endpoint.name}",
            on_done=self._on_engine_probed,
            on_error=lambda error: self._on_engine_probe_error(endpoint, error),
            owner=self,
            key=f"connections/probe/{id(self)}/{key}",
        )

    def _on_engine_probed(self, result: ProbeResult) -> None:
        endpoint = result.endpoint
        key = self.engine_key(endpoint)
        if self._endpoints.get(key) != endpoint:
            return
        if result.info is not None:
            info = result.info
            version = getattr(info, "version", "") or ""
            text = f"answers, {endpoint.engine} {version}".rstrip()
            row = self._engine_row(endpoint, text, "ok")
        else:
            reason = result.reason or "does not answer"
            row = self._engine_row(endpoint, reason, "error", result.hint or reason)
        self.engines_model.update_row(row)
        self.engine_tested.emit(key, result.ok)

    def _on_engine_probe_error(self, endpoint: EngineEndpoint, error: BaseException) -> None:
        # probe() never raises by contract; a bug there still must not leave "testing…".
        sentence, hint = _sentence(error)
        self.engines_model.update_row(self._engine_row(endpoint, sentence, "error", hint))
        self.engine_tested.emit(self.engine_key(endpoint), False)

    def engine_state(self, key: str) -> str:
        return self.engines_model.text(key, ENGINE_STATE_COLUMN)

    # registry logins
    def reload_registry_logins(self) -> None:
        store = self.store
        self.runner.submit(
            lambda ctx: store.list_registry_logins(),
            description="list the registry logins",
            on_done=self._on_registry_logins,
            on_error=self._on_registry_error,
            owner=self,
        )

    def _on_registry_logins(self, logins: list[RegistryLogin]) -> None:
        self.registry_model.set_rows(
            [ConnectionRow(login.host, (login.host, login.username)) for login in logins]
        )
        self.section_loaded.emit("registry")

    def _on_registry_error(self, error: BaseException) -> None:
        self.registry_model.set_rows([])
        self.banner.show_error(error, context="Cannot list the registry logins")
        self.section_loaded.emit("registry")

    # -- forms ---------------------------------------------------------------------------------
    def _replace(self, old: QDialog | None) -> None:
        if old is not None:
            old.close()
            old.deleteLater()

    def open_cluster_form(self) -> ClusterForm:
        self._replace(self.cluster_form)
        form = ClusterForm(
            self.runner,
            self.store,
            app_kubeconfig=self.app_kubeconfig,
            user_kubeconfigs=self._user_kubeconfigs(),
            parent=self,
        )
        form.cluster_added.connect(self._on_cluster_added)
        form.keyring_failed.connect(self.show_keyring_problem)
        if self.keyring_error is not None:
            form.show_error(self.keyring_problem)  # before the user types a token for nothing
        self.cluster_form = form
        form.show()
        return form

    def _on_cluster_added(self, added: AddedCluster) -> None:
        text = (
            f"Added cluster “{added.name}” ({added.server}): its token is in the keyring, its "
            f"context in {added.kubeconfig}."
        )
        if added.insecure:
            self.banner.show_message(f"{text} {INSECURE_WARNING}", "warning")
        else:
            self.banner.show_message(text, "success")
        self.reload_contexts()
        self.reload_clusters()
        self.clusters_changed.emit()

    def open_registry_form(self) -> RegistryLoginForm:
        self._replace(self.registry_form)
        form = RegistryLoginForm(self.runner, self.store, self)
        form.login_saved.connect(self._on_registry_saved)
        form.keyring_failed.connect(self.show_keyring_problem)
        if self.keyring_error is not None:
            form.show_error(self.keyring_problem)
        self.registry_form = form
        form.show()
        return form

    def _on_registry_saved(self, login: RegistryLogin) -> None:
        self.banner.show_message(
            f"Stored the login of {login.username} for {login.host} in the keyring.", "success"
        )
        self.reload_registry_logins()
        self.registry_logins_changed.emit()

    # -- removing (asked first, without blocking: STYLE.md §7) --------------------------------
    def _ask(self, title: str, text: str, yes_text: str, on_yes: Callable[[], None]) -> None:
        self._replace(self.confirm_box)
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        box.setObjectName("confirmRemoveDialog")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        yes = box.addButton(yes_text, QMessageBox.ButtonRole.DestructiveRole)
        yes.setObjectName("confirmRemoveButton")
        box.setDefaultButton(cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
        self.confirm_box = box
        box.show()

    def remove_selected_cluster(self) -> None:
        name = self._selected_key(self.clusters_table)
        if name is None:
            self.banner.show_message("Select a cluster to remove.", "info", timeout_ms=4000)
            return
        self._ask(
            "Remove cluster",
            f"Remove “{name}”? Its token is deleted from the keyring and its context from "
            "KIOPS Desktop's kubeconfig.",
            "Remove",
            lambda: self.remove_cluster(name),
        )

    def remove_cluster(self, name: str) -> None:
        store, path = self.store, self.app_kubeconfig
        self.runner.submit(
            lambda ctx: remove_cluster(name, store=store, app_kubeconfig=path),
            description=f'remove the cluster "{name}"',
            on_done=lambda _: self._on_cluster_removed(name),
            on_error=self._on_action_failed,
            owner=self,
            key=APP_KUBECONFIG_KEY,
            mutation=True,
        )

    def _on_cluster_removed(self, name: str) -> None:
        self.banner.show_message(f"Removed the cluster “{name}”.", "success", timeout_ms=8000)
        self.reload_contexts()
        self.reload_clusters()
        self.clusters_changed.emit()

    def remove_selected_registry_login(self) -> None:
        host = self._selected_key(self.registry_table)
        if host is None:
            self.banner.show_message("Select a registry login to remove.", "info", timeout_ms=4000)
            return
        self._ask(
            "Remove registry login",
            f"Remove the login for {host}? Its password or token is deleted from the keyring.",
            "Remove",
            lambda: self.remove_registry_login(host),
        )

    def remove_registry_login(self, host: str) -> None:
        store = self.store
        self.runner.submit(
            lambda ctx: store.delete_registry_login(host),
            description=f"remove the login for {host}",
            on_done=lambda _: self._on_registry_removed(host),
            on_error=self._on_action_failed,
            owner=self,
            key=REGISTRY_KEY,
            mutation=True,
        )

    def _on_registry_removed(self, host: str) -> None:
        self.banner.show_message(f"Removed the login for {host}.", "success", timeout_ms=8000)
        self.reload_registry_logins()
        self.registry_logins_changed.emit()

    def _on_action_failed(self, error: BaseException) -> None:
        if isinstance(error, KeyringUnavailable):
            self.show_keyring_problem(error)
        self.banner.show_error(error)

    # -- securing a kubeconfig -----------------------------------------------------------------
    def choose_kubeconfig(self) -> None:
        start = next((p for p in self.session.kubeconfig_paths if p.exists()), Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "Secure a kubeconfig", str(start), "All files (*)"
        )
        if path:
            self.secure_file(Path(path))

    def secure_file(self, path: Path) -> None:
        """Scan ``path`` in a job, then show the findings and ask (the seam tests call instead
        of the file dialog)."""
        self.banner.show_message(f"Looking for secrets in {path}…", "info")
        self.runner.submit(
            lambda ctx: scan_kubeconfig(path),
            description=f"scan {path}",
            on_done=lambda findings: self._on_scanned(path, findings),
            on_error=self._on_scan_failed,
            owner=self,
        )

    def _on_scanned(self, path: Path, findings: list[Finding]) -> None:
        self.scan_finished.emit(findings)
        if not findings:
            self.banner.show_message(
                f"{path} holds no plaintext token, password or key: nothing to secure.", "success"
            )
            return
        self.banner.hide()
        self._replace(self.secure_dialog)
        dialog = SecureKubeconfigDialog(
            self.runner,
            self.store,
            path,
            findings,
            keyring_problem=self.keyring_problem,
            parent=self,
        )
        dialog.secured.connect(self._on_secured)
        dialog.keyring_failed.connect(self.show_keyring_problem)
        self.secure_dialog = dialog
        dialog.show()

    def _on_scan_failed(self, error: BaseException) -> None:
        self.scan_finished.emit(error)
        self.banner.show_error(error)

    def _on_secured(self, result: SecureResult) -> None:
        self.banner.show_message(result_text(result), "success")
        self.reload_contexts()
        self.clusters_changed.emit()
