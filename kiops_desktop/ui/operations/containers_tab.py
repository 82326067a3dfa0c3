"""Container List: a Docker/Podman service's containers, live from the engine's event stream,
with their logs and the way to the deploy dialog.

Two kinds of jobs feed the table. A long job follows the engine's event stream
(``ContainerEngine.follow_events``) and reports each container event by ``ctx.progress``; the tab
keeps only the events that concern this service and, a moment after the last one of a burst,
lists the containers again (one keyed read: a listing never piles up behind a slow one). The
listing is applied to the model incrementally. A stream that fails is restarted with a back-off,
listing again each time, so a lost event cannot leave the table stale for long.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from ...core.services import Service
from ...runtimes.containers import ContainerInfo, EngineEvent
from ..containers_columns import (
    CONTAINER_COL,
    QUIET_ACTION_PREFIXES,
    concerns,
    find_service,
    shown_containers,
    summary_line,
)
from ..containers_logs import ContainerLogsDialog
from ..containers_model import ROW_ROLE, SORT_ROLE, ContainersModel
from ..pods_watch import StopSlot
from ..session import Session
from ..tasks import TaskContext
from .base import OperationsTab

if TYPE_CHECKING:
    from ..deploy_dialog import DeployDialog

AGE_TICK_MS = 1000
RETRY_DELAYS_S = (1, 2, 5, 10, 30)  # between attempts to get a failed event stream back
SETTLE_MS = 250  # a deploy sends a burst of events: list once, after the burst
CONNECTED = "connected"  # the event job's first message: the stream is open


class ContainersTab(OperationsTab):
    title = "Container List"

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self.setObjectName("containersTab")
        self._closed = False
        self._live = False
        self._generation = 0  # bumped per event stream started: late messages are dropped
        self._slot: StopSlot | None = None
        self._failures = 0
        self._listing = False
        self._list_again = False
        self._listed_once = False
        self._log_dialogs: dict[str, ContainerLogsDialog] = {}
        self._deploy_dialog: DeployDialog | None = None

        header = QHBoxLayout()
        self.summary_label = QLabel("Loading containers…", self)
        self.summary_label.setObjectName("containersSummary")
        header.addWidget(self.summary_label)
        header.addSpacing(12)
        self.live_label = QLabel(self)
        self.live_label.setObjectName("containersLiveLabel")
        header.addWidget(self.live_label)
        header.addStretch(1)
        self.logs_button = QPushButton("Logs…", self)
        self.logs_button.setObjectName("containerLogsButton")
        self.logs_button.setToolTip(
            "Logs of the selected container (Ctrl+L, or double-click a container)"
        )
        self.logs_button.setEnabled(False)
        header.addWidget(self.logs_button)
        self.deploy_button = QPushButton("Deploy…", self)
        self.deploy_button.setObjectName("openDeployButton")
        self.deploy_button.setToolTip(
            "Deploy another image version to the selected container (or the first one), "
            "with a backup taken first"
        )
        self.deploy_button.setEnabled(False)
        header.addWidget(self.deploy_button)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("containersRefreshButton")
        self.refresh_button.setToolTip("List the containers again")
        header.addWidget(self.refresh_button)
        self.body.addLayout(header)

        self.model = ContainersModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.table = QTableView(self)
        self.table.setObjectName("containersTable")
        self.table.setModel(self.proxy)
        self._setup_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(CONTAINER_COL["Name"], Qt.SortOrder.AscendingOrder)
        head = self.table.horizontalHeader()
        for column in CONTAINER_COL.values():
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # The image path is the long one: it takes the room left and elides in the middle.
        head.setSectionResizeMode(CONTAINER_COL["Image"], QHeaderView.ResizeMode.Stretch)
        head.setStretchLastSection(False)
        self.body.addWidget(self.table, 1)

        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.logs_button.clicked.connect(lambda: self.open_logs())
        self.deploy_button.clicked.connect(lambda: self.open_deploy())
        self.refresh_button.clicked.connect(self.refresh)
        # Scoped to this tab: another tab of the dialog may bind the same keys.
        logs_key = QShortcut(QKeySequence("Ctrl+L"), self, lambda: self.open_logs())
        logs_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, lambda: self.open_logs())
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)

        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_TICK_MS)
        self._age_timer.timeout.connect(self._tick)
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.timeout.connect(self._start_watch)
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self.list_containers)
        self._set_live(False, "")
        app = QCoreApplication.instance()
        if app is not None:
            # A dialog left open at exit is never closed: stop the stream anyway, or the
            # runner's shutdown would wait for a stream that only the engine ends.
            app.aboutToQuit.connect(self.shutdown)

    @staticmethod
    def _setup_table(table: QTableView) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )

    # -- OperationsTab ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Follow the engine's events afresh and list the containers again."""
        if self._closed:
            return
        self._failures = 0
        self._start_watch()

    def shutdown(self) -> None:
        """Stop the event stream, the log viewers and the timers; nothing keeps running."""
        self._closed = True
        self._generation += 1
        for timer in (self._retry_timer, self._settle_timer, self._age_timer):
            timer.stop()
        self._stop_watch()
        for dialog in list(self._log_dialogs.values()):
            with contextlib.suppress(RuntimeError):  # already deleted by Qt
                dialog.close()
        self._log_dialogs.clear()
        self._set_live(False, "stopped")

    @property
    def live(self) -> bool:
        """True while the event stream is open and the table follows the engine."""
        return self._live

    @property
    def busy(self) -> bool:
        """A listing is on its way or waiting to be asked for."""
        return self._listing or self._list_again or self._settle_timer.isActive()

    # -- listing ------------------------------------------------------------------------------
    def list_containers(self) -> None:
        """Read the service's containers (a listing already on its way is followed by one
        more, so the last change is always seen)."""
        if self._closed:
            return
        if self._listing:
            self._list_again = True
            return
        self._listing = True
        session, service = self.session, self.service

        def job(ctx: TaskContext) -> list[ContainerInfo]:
            engine = session.engine(service.connection)
            return shown_containers(find_service(engine.list_services(), service))

        handle = self.session.runner.submit(
            job,
            description=f"List the containers of {service.title}",
            on_done=self._on_listed,
            on_error=self._on_list_error,
            owner=self,
            key=f"containers/{service.key}",
        )
        if handle is None:  # another view's listing of this service runs: ask again after it
            self._listing = False
            self._list_again = True
            self._settle_timer.start()

    def _on_listed(self, containers: list[ContainerInfo]) -> None:
        self._listing = False
        if self._closed:
            return
        self._listed_once = True
        self.model.replace_all(containers)
        if containers:
            self.summary_label.setText(summary_line(containers))
        else:
            self.summary_label.setText(
                f"No containers: {self.service.title} is not on {self.service.connection} any more"
            )
        if self.banner.level == "error" and self._failures == 0:
            self.banner.hide()
        if not self.table.selectionModel().hasSelection() and containers:
            self.table.selectRow(0)
        self._on_selection_changed()
        self._list_again_if_asked()

    def _on_list_error(self, error: BaseException) -> None:
        self._listing = False
        if self._closed:
            return
        self.banner.show_error(error, context="Could not list the containers")
        if not self._listed_once:
            self.summary_label.setText("The containers could not be listed.")
        self._list_again_if_asked()

    def _list_again_if_asked(self) -> None:
        if self._list_again:
            self._list_again = False
            self.list_containers()

    # -- the event stream -----------------------------------------------------------------------
    def _stop_watch(self) -> None:
        slot, self._slot = self._slot, None
        if slot is not None:
            slot.stop()

    def _start_watch(self) -> None:
        if self._closed:
            return
        self._retry_timer.stop()
        self._stop_watch()
        self._generation += 1
        generation = self._generation
        slot = self._slot = StopSlot()
        session, connection = self.session, self.service.connection

        def job(ctx: TaskContext) -> None:
            stream = session.engine(connection).follow_events()
            if not slot.attach(stream):
                stream.stop()
                return
            try:
                ctx.progress(CONNECTED)
                for event in stream:
                    if slot.stopped or ctx.cancelled:
                        break
                    # Health probes are execs every few seconds: not worth a signal each.
                    if not event.action.startswith(QUIET_ACTION_PREFIXES):
                        ctx.progress(event)
            finally:
                stream.stop()

        self._set_live(False, "connecting")
        self.session.runner.submit(
            job,
            description=f"Follow the engine events for {self.service.title}",
            on_progress=lambda message: self._on_watch_message(generation, message),
            on_done=lambda _: self._on_watch_ended(generation, None),
            on_error=lambda error: self._on_watch_ended(generation, error),
            owner=self,
        )
        # Listed at once as well: an engine that cannot stream events still fills the table.
        self.list_containers()

    def _on_watch_message(self, generation: int, message: Any) -> None:
        if generation != self._generation or self._closed:
            return
        if message == CONNECTED:
            if self._failures:
                self._failures = 0
                self.banner.hide()
            self._set_live(True, "")
            # Changes between the first listing and the stream's start are caught here.
            self._settle_timer.start()
            return
        if isinstance(message, EngineEvent):
            rows = self.model.rows()
            ids = {c.id for c in rows}
            names = {c.name for c in rows}
            if concerns(message, ids, names):
                self._settle_timer.start()

    def _on_watch_ended(self, generation: int, error: BaseException | None) -> None:
        if generation != self._generation or self._closed:
            return  # a stream we stopped on purpose (refresh or shutdown)
        self._slot = None
        delay = RETRY_DELAYS_S[min(self._failures, len(RETRY_DELAYS_S) - 1)]
        self._failures += 1
        if error is not None:
            self.banner.show_error(
                error, context=f"Live container updates stopped (retrying in {delay} s)"
            )
        self._set_live(False, f"reconnecting in {delay} s")
        self._retry_timer.start(delay * 1000)

    def _set_live(self, live: bool, state: str) -> None:
        self._live = live
        if live:
            self.live_label.setText("<span style='color:#2e7d32'>●</span> live")
            self.live_label.setToolTip("The list follows the engine's events.")
        else:
            self.live_label.setText(
                f"<span style='color:#9e9e9e'>○</span> {state}" if state else ""
            )
            self.live_label.setToolTip("The list is not following the engine right now.")

    # -- selection, logs, deploy ------------------------------------------------------------
    def selected_container(self) -> ContainerInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].data(ROW_ROLE)
        return row if isinstance(row, ContainerInfo) else None

    def select_container(self, name: str) -> bool:
        source = self.model.position(name)
        if source is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        self.table.selectRow(index.row())
        return True

    def _target_container(self) -> ContainerInfo | None:
        """The selected container, or the first one listed."""
        chosen = self.selected_container()
        if chosen is None and self.proxy.rowCount():
            first = self.proxy.index(0, 0).data(ROW_ROLE)
            chosen = first if isinstance(first, ContainerInfo) else None
        return chosen

    def open_logs(
        self, container: str | None = None, *, follow: bool = False
    ) -> ContainerLogsDialog | None:
        """The log viewer of ``container`` (default: the selected one); one window per
        container."""
        row = self.model.container(container) if container else self.selected_container()
        if row is None:
            return None
        existing = self._log_dialogs.get(row.name)
        if existing is not None and shiboken6.isValid(existing):
            existing.activateWindow()
            return existing
        dialog = ContainerLogsDialog(
            self.session,
            self.service.connection,
            self.service.title,
            self.model.names(),
            container=row.name,
            follow=follow,
            parent=self,
        )
        self._log_dialogs[row.name] = dialog
        dialog.destroyed.connect(lambda _=None, name=row.name: self._log_dialogs.pop(name, None))
        dialog.show()
        return dialog

    def open_deploy(self, container: str | None = None) -> DeployDialog | None:
        """The deploy dialog for ``container`` (default: the selected or first one); one per
        tab, brought forward when already open."""
        from ..deploy_dialog import DeployDialog

        existing = self._deploy_dialog
        if existing is not None and shiboken6.isValid(existing) and existing.isVisible():
            existing.activateWindow()
            return existing
        row = self.model.container(container) if container else self._target_container()
        if row is None:
            return None
        dialog = DeployDialog.open_for(self.session, self.service, row.name, self)
        self._deploy_dialog = dialog
        return dialog

    def _on_double_clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, ContainerInfo):
            self.open_logs(row.name)

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        self.logs_button.setEnabled(self.selected_container() is not None)
        self.deploy_button.setEnabled(self.model.rowCount() > 0)

    # -- ages ---------------------------------------------------------------------------------
    def _tick(self) -> None:
        self.model.tick(datetime.now(UTC))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._closed:
            self._tick()
            self._age_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # Nobody sees the ages of a hidden tab: no need to repaint them every second.
        self._age_timer.stop()
        super().hideEvent(event)
