"""The log viewer of a Docker/Podman service's containers: the last N lines, or follow.

It is the Pod List's viewer (same controls, same bounded queue that wakes the UI once per batch
and drains it in slices) reading from the engine instead of the API server: only the two reading
jobs differ. Engines keep one log across a container's restarts, so there is no "previous
instance" choice here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QWidget

from .pod_logs import (
    DEFAULT_TAIL,
    MAX_LINES,
    LineStream,
    LogsDialog,
    PodLogsViewer,
    heading_html,
)
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

    def _read_request(self) -> tuple[Callable[[TaskContext], str], str, str]:
        session, connection = self.session, self.connection
        container, tail = self.container or "", self.tail_spin.value()

        def job(ctx: TaskContext) -> str:
            return session.engine(connection).logs(container, tail=tail)

        return (
            job,
            f"Reading the logs of {container}…",
            f"Read the logs of container {container}",
        )

    def _follow_request(self) -> tuple[Callable[[], LineStream], str, str]:
        session, connection = self.session, self.connection
        container, tail = self.container or "", self.tail_spin.value()

        def open_stream() -> LineStream:
            return session.engine(connection).follow_logs(container, tail=tail)

        return open_stream, f"Following {container}…", f"Follow the logs of container {container}"

    def _finish_read(self) -> None:
        super()._finish_read()
        count = len(self.lines())
        self.status_label.setText(
            f"{count} line{'s' if count != 1 else ''} · {self.container or ''}"
        )


class ContainerLogsDialog(LogsDialog):
    """A non-modal window around a :class:`ContainerLogsViewer`; closing it stops the stream."""

    viewer: ContainerLogsViewer

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
        super().__init__(
            "containerLogsDialog",
            f"Logs — {title} · {connection}",
            heading_html(title, connection),
            parent,
        )
        self.viewer = ContainerLogsViewer(
            session, connection, containers, title=title, tail=tail, parent=self
        )
        self._layout.addWidget(self.viewer, 1)
        if container:
            # Before any read: choosing a container reads its logs (the combo's signal).
            self.viewer.container_combo.blockSignals(True)
            self.viewer.select_container(container)
            self.viewer.container_combo.blockSignals(False)
        self._start(follow)
