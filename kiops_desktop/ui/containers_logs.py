"""The log viewer of a Docker/Podman service's containers: the last N lines, or follow.

It is the Pod List's viewer (same controls, same bounded queue that wakes the UI once per batch
and drains it in slices) reading from the engine instead of the API server: only the two reading
jobs differ. Engines keep one log across a container's restarts, so there is no "previous
instance" choice here.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from .pod_logs import DEFAULT_TAIL, MAX_LINES, PodLogsViewer, _LineQueue
from .pods_watch import StopSlot
from .session import Session
from .tasks import TaskContext


class ContainerLogsViewer(PodLogsViewer):
    """Logs of one of ``containers`` (the combo chooses) on the engine ``connection``
    ("docker:NAME" / "podman:NAME")."""

    def __init__(
        self,
        session: Session,
        connection: str,
        containers: Sequence[str],
        *,
        title: str = "",
        tail: int = DEFAULT_TAIL,
        parent: QWidget | None = None,
    ) -> None:
        # ``pod`` only names what the messages talk about: here the service.
        super().__init__(session, connection, "", title, containers, tail=tail, parent=parent)
        self.setObjectName("containerLogsViewer")
        self.text.setObjectName("containerLogsText")
        self.connection = connection
        # Engines count "tail" from 1; "all" has no place in the adapters' read-once call.
        self.tail_spin.setRange(1, MAX_LINES)
        self.tail_spin.setSpecialValueText("")
        self.previous_check.hide()

    def select_container(self, name: str) -> None:
        index = self.container_combo.findData(name)
        if index >= 0:
            self.container_combo.setCurrentIndex(index)

    def _read_once(self) -> None:
        generation = self._generation
        session, connection = self.session, self.connection
        container, tail = self.container or "", self.tail_spin.value()

        def job(ctx: TaskContext) -> str:
            return session.engine(connection).logs(container, tail=tail)

        self._reading = True
        self.status_label.setText(f"Reading the logs of {container}…")
        self.session.runner.submit(
            job,
            description=f"Read the logs of container {container}",
            on_done=lambda text: self._on_read(generation, text),
            on_error=lambda error: self._on_error(generation, error),
            owner=self,
        )

    def _start_follow(self) -> None:
        generation = self._generation
        slot = StopSlot()
        queue = _LineQueue()
        self._slot, self._queue = slot, queue
        session, connection = self.session, self.connection
        container, tail = self.container or "", self.tail_spin.value()

        def job(ctx: TaskContext) -> None:
            stream = session.engine(connection).follow_logs(container, tail=tail)
            if not slot.attach(stream):
                stream.stop()
                return
            try:
                for line in stream:
                    if slot.stopped or ctx.cancelled:
                        break
                    if queue.put(line):
                        ctx.progress(None)
            finally:
                stream.stop()

        self.text.clear()
        self.status_label.setText(f"Following {container}…")
        self.following_changed.emit(True)
        self.session.runner.submit(
            job,
            description=f"Follow the logs of container {container}",
            on_progress=lambda _: self._drain(generation),
            on_done=lambda _: self._on_follow_ended(generation),
            on_error=lambda error: self._on_error(generation, error),
            owner=self,
        )

    def _finish_read(self) -> None:
        super()._finish_read()
        count = len(self.lines())
        self.status_label.setText(
            f"{count} line{'s' if count != 1 else ''} · {self.container or ''}"
        )


class ContainerLogsDialog(QDialog):
    """A non-modal window around a :class:`ContainerLogsViewer`; closing it stops the stream."""

    def __init__(
        self,
        session: Session,
        connection: str,
        title: str,
        containers: Sequence[str],
        *,
        container: str | None = None,
        tail: int = DEFAULT_TAIL,
        follow: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("containerLogsDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.setWindowTitle(f"Logs — {title} · {connection}")
        self.resize(960, 600)
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"<span style='font-size:13pt; font-weight:600'>{title}</span>"
            f"&nbsp;&nbsp;<span style='color:palette(placeholder-text)'>{connection}</span>",
            self,
        )
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(heading)
        self.viewer = ContainerLogsViewer(
            session, connection, containers, title=title, tail=tail, parent=self
        )
        layout.addWidget(self.viewer, 1)
        if container:
            # Before any read: choosing a container reads its logs (the combo's signal).
            self.viewer.container_combo.blockSignals(True)
            self.viewer.select_container(container)
            self.viewer.container_combo.blockSignals(False)
        if follow:
            self.viewer.follow_button.setChecked(True)  # starts the stream
        else:
            self.viewer.load()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.viewer.stop()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        # Escape ends a dialog through done(), not closeEvent: the stream must stop then too.
        self.viewer.stop()
        super().done(result)
