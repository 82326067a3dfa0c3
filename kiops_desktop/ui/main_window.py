"""The main window: every service of every context in one table, streamed in per context.

Nothing slow happens before the first paint: the kubeconfig is read and each context is listed
in runner jobs; each context's result (or its error, in words) arrives on its own, so a dead
cluster never holds up a live one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..connections.paths import app_dirs
from ..core.services import Service, kubernetes_service
from .banner import Banner
from .models.services_model import ServicesFilter, ServicesModel, production_icon
from .session import Session
from .tables import setup_row_table, size_columns
from .tasks import TaskContext, error_text, paused_gc

log = logging.getLogger(__name__)

ALL = None  # the selectors' "all" entry
IMAGE_COLUMN = 4  # takes the spare width
REFRESH_INTERVAL_MS = 30_000


@dataclass
class ContextState:
    runtime: str
    name: str
    state: str = "loading"  # loading, ok, error
    message: str = ""
    count: int = 0
    namespaces: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name if self.runtime == "kubernetes" else f"{self.runtime}:{self.name}"


def window_settings() -> QSettings:
    """Window state (not preferences): geometry, splitters, columns, last selection."""
    return QSettings(str(app_dirs().state / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: Session,
        *,
        initial_context: str | None = None,
        prepare: Callable[[], None] | None = None,
        title_suffix: str = "",
        engines: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("KIOPS Desktop" + (f" — {title_suffix}" if title_suffix else ""))
        self.session = session
        self._prepare = prepare
        self._initial_context = initial_context
        self._engines_expected = engines
        self.contexts: dict[str, ContextState] = {}
        self.dialogs: dict[str, QWidget] = {}
        self._appliers: dict[tuple[str, str], Iterator[None]] = {}
        self._connections_dialog: QWidget | None = None
        self._no_contexts_note = False
        self._closing_hooks: list[Callable[[], None]] = []
        self.resize(1280, 760)

        self.model = ServicesModel(self)
        self.proxy = ServicesFilter(self.model, self)
        self._build_toolbar()
        self._build_body()
        self._build_status_bar()
        self._build_actions()
        self._restore_state()

        session.runner.failed.connect(self._on_unhandled_failure)
        session.events.service_changed.connect(self._on_service_changed)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(15_000)
        self._age_timer.timeout.connect(lambda: self.model.refresh_column("Last change"))

    # -- building ----------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        self.addToolBar(bar)

        bar.addWidget(QLabel(" Context ", self))
        self.context_combo = QComboBox(self)
        self.context_combo.setObjectName("contextSelector")
        self.context_combo.setMinimumWidth(200)
        self.context_combo.setToolTip("Context (Alt+C)")
        self.context_combo.addItem("All contexts", ALL)
        self.context_combo.currentIndexChanged.connect(self._on_context_selected)
        bar.addWidget(self.context_combo)

        bar.addWidget(QLabel("  Namespace ", self))
        self.namespace_combo = QComboBox(self)
        self.namespace_combo.setObjectName("namespaceSelector")
        self.namespace_combo.setMinimumWidth(160)
        self.namespace_combo.setToolTip("Namespace (Alt+N)")
        self.namespace_combo.addItem("All namespaces", ALL)
        self.namespace_combo.currentIndexChanged.connect(self._on_namespace_selected)
        bar.addWidget(self.namespace_combo)

        bar.addSeparator()
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("serviceFilter")
        self.filter_edit.setPlaceholderText("Filter services (Ctrl+F) — name, image, status…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(280)
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        bar.addWidget(self.filter_edit)

        bar.addSeparator()
        self.refresh_action = QAction(QIcon.fromTheme("view-refresh"), "Refresh", self)
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.setToolTip("Reload every context (F5)")
        self.refresh_action.triggered.connect(self.refresh)
        bar.addAction(self.refresh_action)
        self.operations_action = QAction("Operations…", self)
        self.operations_action.setToolTip("Open the operations of the selected service (Enter)")
        self.operations_action.triggered.connect(self.open_selected)
        self.operations_action.setEnabled(False)
        bar.addAction(self.operations_action)
        operations_button = bar.widgetForAction(self.operations_action)
        if operations_button is not None:
            operations_button.setObjectName("operationsButton")
        bar.addSeparator()
        self.connections_action = QAction("Connections…", self)
        self.connections_action.setShortcut(QKeySequence("Ctrl+K"))
        self.connections_action.setToolTip(
            "Contexts, engines, registry logins, add a cluster, secure a kubeconfig (Ctrl+K)"
        )
        self.connections_action.triggered.connect(self.open_connections)
        bar.addAction(self.connections_action)

    def _build_body(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")

        side = QWidget(self.splitter)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(6, 6, 0, 6)
        self.nav = QListWidget(side)
        self.nav.setObjectName("navigation")
        # Pages register here; Backups and Activity arrive with the containers UI.
        self.nav.setMaximumHeight(84)
        side_layout.addWidget(self.nav)
        heading = QLabel("<b>Connections</b>", side)
        side_layout.addWidget(heading)
        self.connections_list = QListWidget(side)
        self.connections_list.setObjectName("connectionsList")
        self.connections_list.setWordWrap(True)
        self.connections_list.itemActivated.connect(self._on_connection_activated)
        side_layout.addWidget(self.connections_list, 1)

        self.pages = QStackedWidget(self.splitter)
        self.pages.setObjectName("pages")
        services_page = QWidget(self.pages)
        services_page.setObjectName("servicesPage")
        layout = QVBoxLayout(services_page)
        layout.setContentsMargins(6, 6, 6, 6)
        self.banner = Banner(services_page)
        layout.addWidget(self.banner)
        self.table = QTableView(services_page)
        self.table.setObjectName("servicesTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        setup_row_table(self.table, row_height=26)
        self.table.setShowGrid(False)
        size_columns(self.table, (c.width for c in self.model.columns), stretch=IMAGE_COLUMN)
        self.table.activated.connect(self._on_activated)
        self.table.doubleClicked.connect(self._on_activated)
        layout.addWidget(self.table, 1)
        self.add_page("Services", services_page)
        # Backups and Activity are built when first opened: their modules (the backup store, the
        # engine adapters' types) cost ~0.1 s to import, which must not delay the first paint.
        self._lazy_pages: dict[int, Callable[[], QWidget]] = {}
        self._built_pages: dict[str, QWidget] = {}
        self.add_lazy_page("Backups", "backupsPage", self._make_backups_page)
        self.add_lazy_page("Activity", "activityPage", self._make_activity_page)

        self.splitter.addWidget(side)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 1040])
        self.setCentralWidget(self.splitter)
        self.nav.currentRowChanged.connect(self._show_page)
        self.nav.setCurrentRow(0)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._on_selection_changed)

    def add_page(self, title: str, page: QWidget) -> None:
        self.pages.addWidget(page)
        QListWidgetItem(title, self.nav)

    def add_lazy_page(self, title: str, name: str, factory: Callable[[], QWidget]) -> None:
        """A navigation entry whose page is built on first use (a placeholder until then)."""
        placeholder = QWidget(self.pages)
        placeholder.setObjectName(f"{name}Placeholder")
        self._lazy_pages[self.pages.count()] = factory
        self.add_page(title, placeholder)

    def _page(self, index: int) -> QWidget:
        factory = self._lazy_pages.pop(index, None)
        if factory is not None:
            placeholder = self.pages.widget(index)
            page = factory()
            self.pages.insertWidget(index, page)
            if placeholder is not None:
                self.pages.removeWidget(placeholder)
                placeholder.deleteLater()
            self._built_pages[page.objectName()] = page
        widget = self.pages.widget(index)
        assert widget is not None
        return widget

    def _show_page(self, index: int) -> None:
        if index >= 0:
            self.pages.setCurrentWidget(self._page(index))

    def _make_backups_page(self) -> QWidget:
        from .backups_page import BackupsPage

        return BackupsPage(self.session, self.pages)

    def _make_activity_page(self) -> QWidget:
        from .activity_page import ActivityPage

        return ActivityPage(self.session, self.pages)

    @property
    def backups_page(self) -> Any:
        return self._page(1)

    @property
    def activity_page(self) -> Any:
        return self._page(2)

    def _build_status_bar(self) -> None:
        self.count_label = QLabel(self)
        self.count_label.setObjectName("serviceCount")
        self.statusBar().addPermanentWidget(self.count_label)
        self._update_counts()

    def _build_actions(self) -> None:
        find = QAction("Filter", self)
        find.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(self._focus_filter)
        self.addAction(find)
        for keys, combo in (("Alt+C", self.context_combo), ("Alt+N", self.namespace_combo)):
            action = QAction(self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _=False, c=combo: (c.setFocus(), c.showPopup()))
            self.addAction(action)
        for number in range(self.nav.count()):
            page = QAction(self)
            page.setShortcut(QKeySequence(f"Ctrl+{number + 1}"))  # Ctrl+1 services, 2, 3 …
            page.triggered.connect(lambda _=False, n=number: self.nav.setCurrentRow(n))
            self.addAction(page)
        close = QAction(self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        close.triggered.connect(self.close)
        self.addAction(close)

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    # -- state ---------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        settings = window_settings()
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = settings.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        header = settings.value("servicesHeader")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)
        self._wanted_context = self._initial_context or _str(settings.value("context"))
        self._wanted_namespace = _str(settings.value("namespace"))

    def save_state(self) -> None:
        settings = window_settings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("splitter", self.splitter.saveState())
        settings.setValue("servicesHeader", self.table.horizontalHeader().saveState())
        settings.setValue("context", self.context_combo.currentData() or "")
        settings.setValue("namespace", self.namespace_combo.currentData() or "")
        settings.sync()

    # -- loading -------------------------------------------------------------------------------
    def start(self) -> None:
        """Called once the window is shown: discover contexts, then load each."""
        self.statusBar().showMessage("Reading kubeconfig…")
        prepare = self._prepare

        def discover(ctx: TaskContext) -> Any:
            if prepare is not None:
                prepare()
            return self.session.load_kubeconfig()

        self.session.runner.submit(
            discover,
            description="read the kubeconfig",
            on_done=self._on_kubeconfig,
            on_error=self._on_kubeconfig_error,
            owner=self,
        )
        if self._engines_expected:
            self._discover_engines()
        self._refresh_timer.start()
        self._age_timer.start()

    def _on_kubeconfig(self, config: Any) -> None:
        self.statusBar().clearMessage()
        names = [c.name for c in config.contexts]
        if not names:
            paths = ", ".join(str(p) for p in self.session.kubeconfig_paths)
            self.banner.show_message(
                f"No kubeconfig contexts found in {paths}. Point KUBECONFIG or --kubeconfig at a "
                "cluster's kubeconfig, add one with Connections… (Ctrl+K), or start the demo "
                "with kiops-desktop --demo.",
                "info",
            )
            self._no_contexts_note = True
        for name in names:
            self._add_context(ContextState("kubernetes", name))
        self._render_connections()
        for name in names:
            self._load_context(name)

    def _add_context(self, state: ContextState) -> None:
        key = state.key
        if key in self.contexts:
            return
        self.contexts[key] = state
        icon = production_icon() if self.session.is_production(state.name) else QIcon()
        self.context_combo.addItem(icon, key, key)
        if self._wanted_context == key:
            self.context_combo.setCurrentIndex(self.context_combo.findData(key))

    def _on_kubeconfig_error(self, error: BaseException) -> None:
        self.statusBar().clearMessage()
        self.banner.show_error(error, context="Could not read the kubeconfig")

    # -- Docker and Podman -------------------------------------------------------------------
    def _discover_engines(self) -> None:
        self.session.runner.submit(
            lambda ctx: self.session.discover_engines(),
            description="find Docker contexts and Podman connections",
            key="engines/discover",
            on_done=self._on_engines,
            owner=self,
        )

    def _on_engines(self, endpoints: list[Any]) -> None:
        for endpoint in endpoints:
            key = f"{endpoint.engine}:{endpoint.name}"
            if key in self.contexts:
                continue
            # A configured connection (DOCKER_HOST, a context, a Podman connection) is always
            # shown, with its reason when it fails. The implicit local sockets appear only when
            # an engine answers there: no red row for an engine this laptop does not have.
            implicit = endpoint.source == "local socket"
            self._load_engine(key, implicit=implicit)

    def _load_engine(self, key: str, *, implicit: bool = False) -> None:
        session = self.session
        runtime, _, name = key.partition(":")
        production = session.is_production(name)

        def job(ctx: TaskContext) -> tuple[list[Service], tuple[str, ...]]:
            from ..connections.engines import probe
            from ..ops.listing import container_service
            from ..runtimes.errors import Unreachable

            endpoint = session.endpoints[key]
            if not session.has_engine(key):
                result = probe(endpoint)
                if not result.ok:
                    raise Unreachable(
                        result.reason or f"{runtime} at {endpoint.host} does not answer."
                    )
            engine = session.engine(key)
            with paused_gc():  # as for a kube context: no GC pass over the result mid-load
                services = [
                    container_service(runtime, name, svc, production=production)
                    for svc in engine.list_services()
                ]
                for service in services:
                    _ = service.key, service.search_text
            return services, tuple(sorted({s.namespace for s in services if s.namespace}))

        state = self.contexts.get(key)
        if state is not None and state.state != "ok":
            state.state = "loading"
            self._render_connections()

        def failed(error: BaseException) -> None:
            if key not in self.contexts and implicit:
                log.info("No engine answers at the local %s socket: %s", runtime, error)
                return
            self._add_context(ContextState(runtime, name))
            self._on_context_failed(key, error)

        def loaded(result: tuple[list[Service], tuple[str, ...]]) -> None:
            self._add_context(ContextState(runtime, name))
            self._on_context_loaded(key, result)

        session.runner.submit(
            job,
            description=f"list the containers of {key}",
            key=f"services/{key}",
            on_done=loaded,
            on_error=failed,
            owner=self,
        )

    # -- refreshing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.contexts and self.session.kubeconfig is None:
            self.start()
            return
        for key in self.contexts:
            self._load_context(key)
        self._discover_engines()  # new contexts or connections since start-up

    def _load_context(self, key: str) -> None:
        state = self.contexts[key]
        if state.runtime != "kubernetes":
            self._load_engine(key)
            return
        name = state.name
        session = self.session
        production = session.is_production(name)

        order, descending = self.model.order_key(), self.model.descending

        def job(ctx: TaskContext) -> tuple[list[Service], tuple[str, ...]]:
            runtime = session.kube(name)
            with paused_gc():
                summaries = runtime.list_deployments()
                services = [kubernetes_service(name, s, production=production) for s in summaries]
                for service in services:  # cache per-row text here, off the UI thread
                    _ = service.key, service.search_text
                if order is not None:  # in the table's order: no re-sort on the UI thread
                    services.sort(key=order, reverse=descending)  # type: ignore[arg-type]
            namespaces = tuple(sorted({s.namespace for s in services}))
            return services, namespaces

        if state.state != "ok":
            state.state = "loading"
            self._render_connections()
        self.session.runner.submit(
            job,
            description=f"list the services of {name}",
            key=f"services/kubernetes/{name}",
            on_done=lambda result: self._on_context_loaded(key, result),
            on_error=lambda error: self._on_context_failed(key, error),
            owner=self,
        )

    def _on_context_loaded(self, key: str, result: tuple[list[Service], tuple[str, ...]]) -> None:
        services, namespaces = result
        if services and self._no_contexts_note and self.banner.level == "info":
            self.banner.hide()  # an engine brought services: the note no longer applies
            self._no_contexts_note = False
        state = self.contexts[key]

        def shown() -> None:
            # "ok" once the rows are in the table, not when the answer arrived.
            state.state, state.message, state.count = "ok", "", len(services)
            state.namespaces = namespaces
            self._render_connections()
            self._refresh_namespaces()

        self._apply_steps(
            (state.runtime, state.name),
            self.model.replace_context_steps(state.runtime, state.name, services),
            shown,
        )

    def _apply_steps(
        self, target: tuple[str, str], steps: Iterator[None], done: Callable[[], None]
    ) -> None:
        """Run a model update one step per event-loop turn; a newer update of the same context
        replaces an unfinished one (each step re-reads the model, so that stays consistent)."""
        self._appliers[target] = steps

        def run() -> None:
            if self._appliers.get(target) is not steps:
                return  # superseded
            try:
                next(steps)
            except StopIteration:
                del self._appliers[target]
                done()
                self._update_counts()
                self._reselect()
                self._refresh_open_dialogs()
                return
            self._update_counts()
            QTimer.singleShot(0, run)

        run()

    def _on_context_failed(self, key: str, error: BaseException) -> None:
        state = self.contexts[key]
        state.state, state.message = "error", error_text(error)
        log.warning("Context %s failed: %s", key, state.message)
        self._render_connections()
        self._update_counts()

    def _render_connections(self) -> None:
        self.connections_list.clear()
        for state in self.contexts.values():
            production = " · PROD" if self.session.is_production(state.name) else ""
            if state.state == "ok":
                mark, detail = "●", _count(state.count, "service")
            elif state.state == "loading":
                mark, detail = "○", "loading…"
            else:
                mark, detail = "✕", state.message
            item = QListWidgetItem(f"{mark} {state.key}{production}\n    {detail}")
            item.setData(Qt.ItemDataRole.UserRole, state.key)
            kind = "context" if state.runtime in ("kubernetes", "docker") else "connection"
            item.setToolTip(f"{state.runtime.capitalize()} {kind} {state.name}: {detail}")
            colour = {"ok": "#2e7d32", "loading": "#757575", "error": "#c62828"}[state.state]
            item.setForeground(_brush(colour))
            self.connections_list.addItem(item)

    def _on_connection_activated(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        index = self.context_combo.findData(name)
        if index >= 0:
            self.context_combo.setCurrentIndex(index)

    def _refresh_namespaces(self) -> None:
        context = self.context_combo.currentData()
        names: set[str] = set()
        for state in self.contexts.values():
            if context is ALL or state.key == context:
                names.update(state.namespaces)
        current = self.namespace_combo.currentData() or self._wanted_namespace
        existing = [
            self.namespace_combo.itemData(i) for i in range(1, self.namespace_combo.count())
        ]
        wanted = sorted(names)
        if existing != wanted:
            self.namespace_combo.blockSignals(True)
            while self.namespace_combo.count() > 1:
                self.namespace_combo.removeItem(1)
            for name in wanted:
                self.namespace_combo.addItem(name, name)
            self.namespace_combo.blockSignals(False)
        index = self.namespace_combo.findData(current) if current else 0
        if index > 0 and self.namespace_combo.currentIndex() != index:
            self.namespace_combo.setCurrentIndex(index)
        elif index < 0 and self.namespace_combo.currentIndex() != 0:
            self.namespace_combo.setCurrentIndex(0)

    # -- filtering and selection ------------------------------------------------------------
    def _on_filter_changed(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_counts()

    def _on_context_selected(self, index: int) -> None:
        self.proxy.set_context(self.context_combo.itemData(index))
        self._refresh_namespaces()
        self._update_counts()

    def _on_namespace_selected(self, index: int) -> None:
        namespace = self.namespace_combo.itemData(index)
        self.proxy.set_namespace(namespace)
        if namespace is not ALL or index == 0:
            self._wanted_namespace = namespace
        self._update_counts()

    def _update_counts(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        failing = sum(1 for s in self.contexts.values() if s.state == "error")
        loading = sum(1 for s in self.contexts.values() if s.state == "loading")
        parts = [
            f"{shown} of {_count(total, 'service')}" if shown != total else _count(total, "service")
        ]
        parts.append(f"{len(self.contexts)} context" + ("" if len(self.contexts) == 1 else "s"))
        if loading:
            parts.append(f"{loading} loading")
        if failing:
            parts.append(f"{failing} unreachable")
        self.count_label.setText("  ·  ".join(parts) + "  ")

    def _on_selection_changed(self, *args: Any) -> None:
        self.operations_action.setEnabled(self.selected_service() is not None)

    def selected_service(self) -> Service | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.proxy.service_at(rows[0].row())

    def _reselect(self) -> None:
        if self.table.selectionModel().hasSelection() or self.proxy.rowCount() == 0:
            return
        self.table.selectionModel().setCurrentIndex(
            self.proxy.index(0, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def select_service(self, name: str, namespace: str | None = None) -> Service:
        """Select a service by name (tests, and the command line's future --service)."""
        for row in range(self.proxy.rowCount()):
            service = self.proxy.service_at(row)
            if service.name == name and (namespace is None or service.namespace == namespace):
                self.table.selectionModel().setCurrentIndex(
                    self.proxy.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.table.scrollTo(self.proxy.index(row, 0))
                return service
        raise KeyError(f"{namespace}/{name}")

    # -- operations ------------------------------------------------------------------------
    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_operations(self.proxy.service_at(index.row()))

    def open_selected(self) -> None:
        service = self.selected_service()
        if service is not None:
            self.open_operations(service)

    def open_operations(self, service: Service) -> QWidget:
        """One non-modal dialog per service: opening it again raises the existing one."""
        existing = self.dialogs.get(service.key)
        if existing is not None:
            existing.show()
            existing.raise_()
            existing.activateWindow()
            return existing
        from .operations.dialog import OperationsDialog

        dialog = OperationsDialog(self.session, service, self)
        self.dialogs[service.key] = dialog
        dialog.destroyed.connect(lambda _=None, key=service.key: self.dialogs.pop(key, None))
        dialog.show()
        return dialog

    def open_connections(self) -> QWidget:
        """The Connections dialog (one at a time): clusters added there appear here at once."""
        if self._connections_dialog is not None:
            self._connections_dialog.show()
            self._connections_dialog.activateWindow()
            return self._connections_dialog
        from ..connections.credentials import CredentialStore
        from .connections_dialog import ConnectionsDialog

        allow_file = self.session.settings.file_keyring
        dialog = ConnectionsDialog(
            self.session, self, store_factory=lambda: CredentialStore(allow_file_keyring=allow_file)
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.clusters_changed.connect(self.reload_contexts)
        dialog.destroyed.connect(lambda _=None: setattr(self, "_connections_dialog", None))
        self._connections_dialog = dialog
        dialog.show()
        return dialog

    def reload_contexts(self) -> None:
        """Re-read the kubeconfig list (a cluster was added or removed): new contexts load,
        vanished ones leave the table. Clients of existing contexts stay: open dialogs may be
        watching through them, and their definitions did not change."""

        def discover(ctx: TaskContext) -> Any:
            return self.session.load_kubeconfig()

        def loaded(config: Any) -> None:
            names = {c.name for c in config.contexts}
            for key, state in list(self.contexts.items()):
                if state.runtime == "kubernetes" and state.name not in names:
                    del self.contexts[key]
                    self.model.replace_context("kubernetes", state.name, [])
                    index = self.context_combo.findData(key)
                    if index > 0:
                        self.context_combo.removeItem(index)
            fresh = [n for n in sorted(names) if n not in self.contexts]
            for name in fresh:
                self._add_context(ContextState("kubernetes", name))
            self._render_connections()
            for key, state in self.contexts.items():
                if state.runtime == "kubernetes":
                    self._load_context(key)
            self._update_counts()

        self.session.runner.submit(
            discover,
            description="read the kubeconfig",
            on_done=loaded,
            on_error=self._on_kubeconfig_error,
            owner=self,
        )

    def _refresh_open_dialogs(self) -> None:
        for key, dialog in self.dialogs.items():
            row = self.model.row_of(key)
            update = getattr(dialog, "update_service", None)
            if row is not None and update is not None:
                update(self.model.service_at(row))

    def _on_service_changed(self, key: str) -> None:
        runtime, _, rest = key.partition("/")
        context = rest.split("/", 1)[0]
        connection = context if runtime == "kubernetes" else f"{runtime}:{context}"
        if connection in self.contexts:
            self._load_context(connection)

    def _on_unhandled_failure(self, description: str, error: BaseException) -> None:
        self.banner.show_error(error, context=f"Could not {description}")

    # -- closing ----------------------------------------------------------------------------
    def on_close(self, hook: Callable[[], None]) -> None:
        self._closing_hooks.append(hook)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self._refresh_timer.stop()
        self._age_timer.stop()
        for dialog in list(self.dialogs.values()):
            dialog.close()
        for page in self._built_pages.values():
            shutdown = getattr(page, "shutdown", None)
            if shutdown is not None:
                shutdown()
        self.session.close()
        for hook in self._closing_hooks:
            try:
                hook()
            except Exception:
                log.exception("Clean-up at exit failed")
        super().closeEvent(event)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _brush(colour: str) -> Any:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(colour))
