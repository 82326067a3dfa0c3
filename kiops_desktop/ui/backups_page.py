"""Backup Management (``backupsPage``): every backup in the store across services, with Verify,
Restore (after a question that names exactly what gets replaced), Delete and Open folder.

Every disk and engine call runs in the task runner; results come back by signal. The page reloads
itself when a service changed (a deploy takes a backup, a restore replaces a container), when it
is shown, and on Refresh (which also discovers the engine connections again).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QRegularExpression, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..ops.backups import Backup, VerifyResult
from .backups_model import (
    IMAGE_COLUMN,
    BackupRow,
    BackupsModel,
    RowRole,
    SortRole,
    VerifyState,
    human_size,
)
from .backups_restore import (
    DeleteBackupsDialog,
    RestoreConfirmDialog,
    RestoreOutcome,
    RestorePlan,
    find_connection,
    plan_restore,
    run_restore,
)
from .banner import Banner
from .session import Session
from .tables import setup_row_table, size_columns
from .tasks import TaskContext, TaskHandle, error_text

log = logging.getLogger(__name__)


class _ElideDelegate(QStyledItemDelegate):
    """One column elided differently from the view's default."""

    def __init__(self, mode: Qt.TextElideMode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mode = mode

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = self._mode


class BackupsPage(QWidget):
    refreshed = Signal()  # a listing arrived and is shown
    verify_finished = Signal(object)  # list[VerifyResult]
    restore_finished = Signal(object)  # RestoreOutcome, or the exception
    delete_finished = Signal(object)  # list[Backup] deleted, or the exception

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backupsPage")
        self.session = session
        # Seam: tests replace it so no file manager is launched.
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.confirm_dialog: RestoreConfirmDialog | None = None
        self.delete_dialog: DeleteBackupsDialog | None = None
        self._verified: dict[str, VerifyState] = {}  # by backup id, kept across refreshes
        self._discovered = False
        self._refresh_again = False
        self._mutations = 0  # restores/deletes running from this page
        self._handles: list[TaskHandle] = []
        self._closed = False
        self._build()
        session.events.service_changed.connect(self._on_service_changed)
        self.refresh()

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        self.banner = Banner(self)
        layout.addWidget(self.banner)

        top = QHBoxLayout()
        title = QLabel("<b style='font-size:15px'>Backups</b>", self)
        top.addWidget(title)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("backupsCount")
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("backupFilter")
        self.filter.setPlaceholderText("Filter by service, engine, image, volume…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(280)
        top.addWidget(self.filter)
        layout.addLayout(top)

        actions = QHBoxLayout()
        actions.setSpacing(6)
        self.refresh_button = self._button("Refresh", "refreshBackupsButton", actions)
        self.refresh_button.setToolTip("Reload the backup list and the engine connections (F5)")
        self.verify_button = self._button("Verify", "verifyBackupButton", actions)
        self.verify_button.setToolTip("Recompute every checksum of the selected backups")
        self.restore_button = self._button("Restore…", "restoreBackupButton", actions)
        self.restore_button.setToolTip(
            "Put the selected backup's container and volumes back (asks first)"
        )
        self.delete_button = self._button("Delete…", "deleteBackupButton", actions)
        self.delete_button.setToolTip("Delete the selected backups from disk (asks first)")
        self.open_button = self._button("Open folder", "openBackupFolderButton", actions)
        self.open_button.setToolTip("Show the selected backup's folder in the file manager")
        actions.addSpacing(12)
        self.status = QLabel(self)
        self.status.setObjectName("backupsStatus")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        actions.addWidget(self.status, 1)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("backupsProgress")
        self.progress.setFixedWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        actions.addWidget(self.progress)
        layout.addLayout(actions)

        self.model = BackupsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(SortRole)
        self.table = QTableView(self)
        self.table.setObjectName("backupsTable")
        self.table.setModel(self.proxy)
        setup_row_table(
            self.table,
            selection=QAbstractItemView.SelectionMode.ExtendedSelection,
            elide=Qt.TextElideMode.ElideRight,
            row_height=26,
        )
        self.table.setSortingEnabled(True)
        # The image takes the spare width, and elides on the left: its tag is what matters.
        size_columns(self.table, (c.width for c in self.model.columns), stretch=IMAGE_COLUMN)
        self.table.setItemDelegateForColumn(
            IMAGE_COLUMN, _ElideDelegate(Qt.TextElideMode.ElideLeft, self.table)
        )
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.doubleClicked.connect(lambda _: self.restore_selected())
        layout.addWidget(self.table, 1)

        self.details = QLabel(self)
        self.details.setObjectName("backupDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.details)

        self.filter.textChanged.connect(self._on_filter)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.rowsRemoved.connect(lambda *_: self._update_actions())
        self.model.dataChanged.connect(lambda *_: self._update_actions())
        self.refresh_button.clicked.connect(lambda: self.refresh(discover=True))
        self.verify_button.clicked.connect(self.verify_selected)
        self.restore_button.clicked.connect(self.restore_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.open_button.clicked.connect(self.open_selected_folder)
        for keys, slot in (
            (QKeySequence(QKeySequence.StandardKey.Refresh), lambda: self.refresh(discover=True)),
            (QKeySequence(QKeySequence.StandardKey.Delete), self.delete_selected),
        ):
            shortcut = QShortcut(keys, self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._update_actions()

    def _button(self, text: str, name: str, row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        row.addWidget(button)
        return button

    # -- listing -----------------------------------------------------------------------------
    def refresh(self, *, discover: bool = False) -> None:
        """Reload the list (off the UI thread); ``discover`` also re-reads the engine
        connections (the first refresh always does, to know where each backup belongs)."""
        if self._closed:
            return
        session = self.session
        discover = discover or not self._discovered

        def job(ctx: TaskContext) -> list[tuple[Backup, str | None]]:
            if discover:
                try:
                    session.discover_engines()
                except Exception as exc:  # the list still shows; restore will say why
                    log.info("Engine discovery for the Backups page failed: %s", exc)
            endpoints = dict(session.endpoints)
            return [(b, find_connection(b, endpoints)) for b in session.backups().list()]

        handle = session.runner.submit(
            job,
            description="list the backups",
            on_done=self._on_listed,
            on_error=self._on_list_failed,
            owner=self,
            key=f"backups-page:list:{id(self)}",
        )
        if handle is None:
            # One is running already: its result may predate what made us refresh.
            self._refresh_again = True
        else:
            self._discovered = self._discovered or discover

    def _on_listed(self, listed: list[tuple[Backup, str | None]]) -> None:
        if self._closed:
            return
        ids = {b.id for b, _ in listed}
        self._verified = {k: v for k, v in self._verified.items() if k in ids}
        rows = [
            BackupRow(b, connection, self._verified.get(b.id, VerifyState()))
            for b, connection in listed
        ]
        self.model.set_rows(rows)
        total = sum(b.size for b, _ in listed)
        services = len({b.service for b, _ in listed})
        self.count_label.setText(
            f"{len(rows)} backup(s) of {services} service(s), {human_size(total)}"
            if rows
            else "no backups yet: a deploy with auto-backup makes one"
        )
        self._update_actions()
        self.refreshed.emit()
        self._maybe_refresh_again()

    def _on_list_failed(self, error: BaseException) -> None:
        if self._closed:
            return
        self.banner.show_error(error, context="Could not list the backups")
        self._maybe_refresh_again()

    def _maybe_refresh_again(self) -> None:
        if self._refresh_again:
            self._refresh_again = False
            self.refresh()

    def _on_service_changed(self, _key: str) -> None:
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # a deploy elsewhere may have added backups while the page was hidden

    def _on_filter(self, text: str) -> None:
        self.proxy.setFilterRegularExpression(
            QRegularExpression(
                QRegularExpression.escape(text.strip()),
                QRegularExpression.PatternOption.CaseInsensitiveOption,
            )
        )
        self._update_actions()

    # -- selection ---------------------------------------------------------------------------
    def selected_rows(self) -> list[BackupRow]:
        rows = []
        for index in sorted(self.table.selectionModel().selectedRows(), key=QModelIndex.row):
            row = index.data(RowRole)
            if isinstance(row, BackupRow):
                rows.append(row)
        return rows

    def select_backup(self, backup_id: str) -> bool:
        """Select the row of a backup (for keyboard-free callers and tests)."""
        source = self.model.row_of(backup_id)
        if source < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        return True

    def _update_actions(self) -> None:
        rows = self.selected_rows()
        one = len(rows) == 1
        busy = self._mutations > 0
        self.verify_button.setEnabled(bool(rows))
        # One restore or delete at a time from here: a delete must never pull the files out
        # from under a restore that reads them.
        self.restore_button.setEnabled(one and not busy)
        self.delete_button.setEnabled(bool(rows) and not busy)
        self.open_button.setEnabled(one)
        if one:
            b = rows[0].backup
            vols = ", ".join(f"{v.name or v.source} → {v.destination}" for v in b.volumes)
            self.details.setText(
                f"Container {b.container_name} · {b.path}" + (f" · {vols}" if vols else "")
            )
        elif rows:
            total = human_size(sum(r.backup.size for r in rows))
            self.details.setText(f"{len(rows)} backups selected ({total})")
        else:
            self.details.setText("Select a backup to verify, restore, delete or open it.")

    # -- verify ------------------------------------------------------------------------------
    def verify_selected(self) -> None:
        self.verify([r.backup for r in self.selected_rows()])

    def verify(self, backups: list[Backup]) -> None:
        if not backups or self._closed:
            return
        store = self.session.backups()

        def job(ctx: TaskContext) -> list[VerifyResult]:
            results = []
            for number, backup in enumerate(backups):
                if ctx.cancelled:
                    break
                ctx.progress((number, len(backups), backup.id, None))
                result = store.verify(backup)
                results.append(result)
                ctx.progress((number + 1, len(backups), backup.id, result))
            return results

        handle = self.session.runner.submit(
            job,
            description="verify backups",
            on_done=self._on_verified,
            on_error=self._on_verify_failed,
            on_progress=self._on_verify_progress,
            owner=self,
            key=f"backups-page:verify:{id(self)}",
        )
        if handle is None:
            self.banner.show_message("A verification is running already.", "info", timeout_ms=4000)
            return
        self._track(handle)
        for backup in backups:
            self._set_verify(backup.id, VerifyState.checking())
        self._busy(f"Verifying {len(backups)} backup(s)…", 0, len(backups))

    def _set_verify(self, backup_id: str, state: VerifyState) -> None:
        self._verified[backup_id] = state
        self.model.set_verify(backup_id, state)

    def _on_verify_progress(self, value: Any) -> None:
        done, total, backup_id, result = value
        if isinstance(result, VerifyResult):
            self._set_verify(backup_id, VerifyState.of(result))
        self._busy(f"Verifying backup {min(done + 1, total)} of {total}…", done, total)

    def _on_verified(self, results: list[VerifyResult]) -> None:
        self._idle()
        for result in results:
            self._set_verify(result.backup.id, VerifyState.of(result))
        # A cancelled run leaves some "verifying…": they go back to not verified.
        for backup_id, state in list(self._verified.items()):
            if state.state == "checking":
                self._set_verify(backup_id, VerifyState())
        bad = [r for r in results if not r.ok]
        if bad:
            self.banner.show_message("\n".join(str(r) for r in bad), "error")
        else:
            self.banner.show_message(
                f"{len(results)} backup(s) verified: every checksum matches.",
                "success",
                timeout_ms=6000,
            )
        self.verify_finished.emit(results)

    def _on_verify_failed(self, error: BaseException) -> None:
        self._idle()
        for backup_id, state in list(self._verified.items()):
            if state.state == "checking":
                self._set_verify(backup_id, VerifyState())
        self.banner.show_error(error, context="Verifying failed")
        self.verify_finished.emit([])

    # -- restore -----------------------------------------------------------------------------
    def restore_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1 and self._mutations == 0:
            self.restore(rows[0].backup)

    def restore(self, backup: Backup) -> None:
        """Read what the restore would replace, then ask (``confirm_dialog``)."""
        if self._closed:
            return
        session = self.session
        handle = session.runner.submit(
            lambda ctx: plan_restore(session, backup),
            description=f"prepare the restore of {backup.container_name}",
            on_done=self._ask_restore,
            on_error=self._on_plan_failed,
            owner=self,
            key=f"backups-page:plan:{id(self)}",
        )
        if handle is not None:
            self._track(handle)
            self._busy(f"Reading the current {backup.container_name} from the engine…")

    def _on_plan_failed(self, error: BaseException) -> None:
        self._idle()
        self.banner.show_error(error, context="Cannot restore")

    def _ask_restore(self, plan: RestorePlan) -> None:
        self._idle()
        if self._closed:
            return
        dialog = RestoreConfirmDialog(plan, self)
        self.confirm_dialog = dialog
        dialog.accepted.connect(lambda: self._start_restore(plan))
        dialog.finished.connect(lambda _=0: self._forget_dialog(dialog))
        dialog.open()

    def _forget_dialog(self, dialog: Any) -> None:
        if self.confirm_dialog is dialog:
            self.confirm_dialog = None
        if self.delete_dialog is dialog:
            self.delete_dialog = None

    def _start_restore(self, plan: RestorePlan) -> None:
        if self._closed:
            return
        session = self.session
        name = plan.backup.container_name

        def job(ctx: TaskContext) -> RestoreOutcome:
            result: RestoreOutcome = run_restore(session, plan, ctx.progress)
            return result

        handle = session.runner.submit(
            job,
            description=f"restore {name} from backup {plan.backup.id}",
            on_done=self._on_restored,
            on_error=lambda error: self._on_restore_failed(plan, error),
            on_progress=lambda message: self._busy(str(message)),
            owner=self,
            key=plan.service_key,
            mutation=True,
        )
        if handle is None:
            return
        self._track(handle)
        self._mutations += 1
        self._update_actions()
        self._busy(f"Restoring {name} (waits for any deploy of this service to finish)…")

    def _on_restored(self, outcome: RestoreOutcome) -> None:
        self._mutations -= 1
        self._idle()
        self.banner.show_message(outcome.sentence, "success")
        # No refresh here: the runner announces the service changed right after this, and
        # this page (like every screen showing the service) reloads on that.
        self.restore_finished.emit(outcome)

    def _on_restore_failed(self, plan: RestorePlan, error: BaseException) -> None:
        self._mutations -= 1
        self._idle()
        self.banner.show_error(error)
        # Even a failed restore may have changed the container (it was put back, or is gone):
        # every screen showing the service reloads. (The runner announces successes itself.)
        self.session.events.service_changed.emit(plan.service_key)
        self.restore_finished.emit(error)

    # -- delete ------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if not rows or self._mutations or self._closed:
            return
        dialog = DeleteBackupsDialog([r.backup for r in rows], self)
        self.delete_dialog = dialog
        dialog.accepted.connect(lambda: self._start_delete(dialog.backups))
        dialog.finished.connect(lambda _=0: self._forget_dialog(dialog))
        dialog.open()

    def _start_delete(self, backups: list[Backup]) -> None:
        if self._closed:
            return
        session = self.session
        store = session.backups()

        def job(ctx: TaskContext) -> list[Backup]:
            deleted = []
            for number, backup in enumerate(backups):
                ctx.progress(f"Deleting backup {number + 1} of {len(backups)}…")
                store.delete(backup)
                deleted.append(backup)
                try:
                    session.audit.append(
                        connection=find_connection(backup, session.endpoints)
                        or f"{backup.engine}:?",
                        service=backup.service,
                        action="delete backup",
                        outcome="deleted",
                        detail=f"Deleted backup {backup.id} ({human_size(backup.size)}).",
                    )
                except OSError:
                    log.exception("Could not write the audit entry for deleting %s", backup.id)
            return deleted

        handle = session.runner.submit(
            job,
            description="delete backups",
            on_done=self._on_deleted,
            on_error=self._on_delete_failed,
            on_progress=lambda message: self._busy(str(message)),
            owner=self,
            # No key: deleting a backup changes no service, so nothing else needs to reload
            # (the page refreshes itself); the page runs one delete or restore at a time.
            mutation=True,
        )
        if handle is None:
            return
        self._track(handle)
        self._mutations += 1
        self._update_actions()
        self._busy(f"Deleting {len(backups)} backup(s)…")

    def _on_deleted(self, deleted: list[Backup]) -> None:
        self._mutations -= 1
        self._idle()
        freed = human_size(sum(b.size for b in deleted))
        self.banner.show_message(
            f"Deleted {len(deleted)} backup(s), {freed} freed.", "success", timeout_ms=6000
        )
        self.refresh()
        self.delete_finished.emit(deleted)

    def _on_delete_failed(self, error: BaseException) -> None:
        self._mutations -= 1
        self._idle()
        text = error_text(error)
        if isinstance(error, OSError):
            text = f"Deleting failed: {error}"
        self.banner.show_error(text)
        self.refresh()
        self.delete_finished.emit(error)

    # -- open folder -------------------------------------------------------------------------
    def open_selected_folder(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        path = rows[0].backup.path
        if not self.open_url(QUrl.fromLocalFile(str(path))):
            self.banner.show_message(f"Could not open {path} in the file manager.", "warning")

    # -- progress ----------------------------------------------------------------------------
    def _busy(self, message: str, value: int | None = None, maximum: int = 0) -> None:
        self.status.setText(message)
        if value is None or maximum <= 0:
            self.progress.setRange(0, 0)  # steps without a known length: a busy bar
        else:
            self.progress.setRange(0, maximum)
            self.progress.setValue(value)
        self.progress.show()

    def _idle(self) -> None:
        # The finished job's handle is already done; another job of this page may still run.
        self._handles = [h for h in self._handles if not h.done]
        if not self._handles:
            self.status.setText("")
            self.progress.hide()
        self._update_actions()

    def _track(self, handle: TaskHandle) -> None:
        self._handles = [h for h in self._handles if not h.done]
        self._handles.append(handle)

    # -- lifecycle ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop listening and cancel what this page started (a restore already replacing a
        container finishes: BackupStore.restore is all or nothing, not interruptible)."""
        if self._closed:
            return
        self._closed = True
        # The session's signals object may already be gone at exit.
        with contextlib.suppress(RuntimeError, TypeError, RuntimeWarning):
            self.session.events.service_changed.disconnect(self._on_service_changed)
        for handle in self._handles:
            if not handle.mutation:
                handle.cancel()
        for dialog in (self.confirm_dialog, self.delete_dialog):
            if dialog is not None:
                dialog.reject()
