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

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QItemSelection, QTimer
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QPushButton, QWidget

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
from ..containers_model import ROW_ROLE, ContainersModel
from ..pods_watch import StopSlot
from ..session import Session
from ..tasks import TaskContext
from .live_table import LiveTableTab

if TYPE_CHECKING:
    from ..deploy_dialog import DeployDialog

SETTLE_MS = 250  # a deploy sends a burst of events: list once, after the burst
CONNECTED = "connected"  # the event job's first message: the stream is open


class ContainersTab(LiveTableTab):
    title = "Container List"
    row_type = ContainerInfo
    updates_name = "container"
    live_tooltip = "The list follows the engine's events."
    idle_tooltip = "The list is not following the engine right now."
    model: ContainersModel

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(session, service, parent)
        self.setObjectName("containersTab")
        self._listing = False
        self._list_again = False
        self._listed_once = False
        self._deploy_dialog: DeployDialog | None = None

        self._build_header(
            loading="Loading containers…",
            summary_name="containersSummary",
            live_name="containersLiveLabel",
            logs_name="containerLogsButton",
            logs_tooltip="Logs of the selected container (Ctrl+L, or double-click a container)",
            refresh_name="containersRefreshButton",
            refresh_tooltip="List the containers again",
        )
        self.model = ContainersModel(self)
        self._build_table(self.model, "containersTable", CONTAINER_COL["Name"])
        head = self.table.horizontalHeader()
        for column in CONTAINER_COL.values():
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # The image path is the long one: it takes the room left and elides in the middle.
        head.setSectionResizeMode(CONTAINER_COL["Image"], QHeaderView.ResizeMode.Stretch)
        head.setStretchLastSection(False)
        self.body.addWidget(self.table, 1)

        self._wire()
        self.deploy_button.clicked.connect(lambda: self.open_deploy())
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self.list_containers)

    def _add_actions(self, header: QHBoxLayout) -> None:
        self.deploy_button = QPushButton("Deploy…", self)
        self.deploy_button.setObjectName("openDeployButton")
        self.deploy_button.setToolTip(
            "Deploy another image version to the selected container (or the first one), "
            "with a backup taken first"
        )
        self.deploy_button.setEnabled(False)
        header.addWidget(self.deploy_button)

    # -- OperationsTab ------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the event stream, the log viewers and the timers; nothing keeps running."""
        self._settle_timer.stop()
        super().shutdown()

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
    def _watch_job(self, slot: StopSlot) -> Callable[[TaskContext], None]:
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

        return job

    def _watch_description(self) -> str:
        return f"Follow the engine events for {self.service.title}"

    def _start_watch(self) -> None:
        super()._start_watch()
        # Listed at once as well: an engine that cannot stream events still fills the table.
        self.list_containers()

    def _on_watch_message(self, message: Any) -> None:
        if message == CONNECTED:
            self._watch_connected()
            # Changes between the first listing and the stream's start are caught here.
            self._settle_timer.start()
            return
        if isinstance(message, EngineEvent):
            rows = self.model.rows()
            ids = {c.id for c in rows}
            names = {c.name for c in rows}
            if concerns(message, ids, names):
                self._settle_timer.start()

    # -- selection, logs, deploy ------------------------------------------------------------
    def selected_container(self) -> ContainerInfo | None:
        row: ContainerInfo | None = self._selected_row()
        return row

    def select_container(self, name: str) -> bool:
        return self._select_key(name)

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
        if isinstance(existing, ContainerLogsDialog) and shiboken6.isValid(existing):
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
        self._keep_log_dialog(row.name, dialog)
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

    def _on_selection_changed(self, *_: QItemSelection) -> None:
        super()._on_selection_changed()
        self.deploy_button.setEnabled(self.model.rowCount() > 0)

    # -- ages ---------------------------------------------------------------------------------
    def _tick(self) -> None:
        self.model.tick(datetime.now(UTC))
