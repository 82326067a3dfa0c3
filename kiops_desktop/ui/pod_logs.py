"""The log viewer of one pod: container, last N lines, follow, the previous (crashed) instance.

Reading runs in task-runner jobs. A followed stream does not send one signal per line: the
worker appends lines to a bounded queue and wakes the UI thread only when the queue goes from
empty to non-empty, so however fast a container writes, the UI drains whole batches with one
append each and never stalls; the queue and the text keep at most ``MAX_LINES`` lines.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .banner import Banner
from .pods_watch import StopSlot
from .tasks import TaskContext

if TYPE_CHECKING:
    from ..runtimes.kubernetes import KubernetesRuntime
    from .session import Session

MAX_LINES = 20_000  # lines kept in the viewer (and queued while the UI catches up)
# Lines appended per turn of the event loop: ~20 ms into a full viewer (measured offscreen), so
# a flood of lines is shown in slices and the UI keeps answering between them.
DRAIN_CHUNK = 1000
DEFAULT_TAIL = 500


class LineStream(Protocol):
    """A followed log: its lines as they come, and a way to end it from another thread."""

    def __iter__(self) -> Iterator[str]: ...
    def stop(self) -> None: ...


def read_logs(
    runtime: KubernetesRuntime,
    namespace: str,
    pod: str,
    container: str | None,
    tail: int | None,
    *,
    previous: bool = False,
) -> str:
    return runtime.pod_logs(namespace, pod, container, tail=tail, previous=previous)


class _LineQueue:
    """Lines handed from the reading worker to the UI thread, with one wake-up per batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: deque[str] = deque(maxlen=MAX_LINES)
        self._woken = False
        self.dropped = 0  # lines pushed out before the UI could show them

    def put(self, line: str) -> bool:
        """Queue a line; True when the UI thread must be woken for it."""
        with self._lock:
            if len(self._lines) == self._lines.maxlen:
                self.dropped += 1
            self._lines.append(line)
            wake = not self._woken
            self._woken = True
            return wake

    def take(self, limit: int) -> tuple[list[str], bool]:
        """Up to ``limit`` of the oldest queued lines, and whether more are waiting.

        While more are waiting the UI stays "woken": it comes back for them by itself, and the
        worker need not signal again.
        """
        with self._lock:
            count = min(limit, len(self._lines))
            lines = [self._lines.popleft() for _ in range(count)]
            more = bool(self._lines)
            self._woken = more
            return lines, more


class PodLogsViewer(QWidget):
    """Logs of one pod. ``load()`` reads (or follows) with the current choices."""

    loaded = Signal()  # a read finished (or a followed stream delivered its first batch)
    following_changed = Signal(bool)

    def __init__(
        self,
        session: Session,
        context: str,
        namespace: str,
        pod: str,
        containers: Sequence[str],
        *,
        init_containers: Sequence[str] = (),
        tail: int = DEFAULT_TAIL,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("podLogsViewer")
        self.session = session
        self.context = context
        self.namespace = namespace
        self.pod = pod
        self._generation = 0
        self._slot: StopSlot | None = None
        self._queue: _LineQueue | None = None
        self._reading = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = Banner(self)
        layout.addWidget(self.banner)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(QLabel("Container", self))
        self.container_combo = QComboBox(self)
        self.container_combo.setObjectName("logsContainerCombo")
        self.container_combo.setMinimumContentsLength(12)
        for name in containers:
            label = f"{name} (init)" if name in init_containers else name
            self.container_combo.addItem(label, name)
        self.container_combo.setEnabled(self.container_combo.count() > 1)
        controls.addWidget(self.container_combo)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Last", self))
        self.tail_spin = QSpinBox(self)
        self.tail_spin.setObjectName("logsTailSpin")
        self.tail_spin.setRange(0, MAX_LINES)
        self.tail_spin.setSingleStep(100)
        self.tail_spin.setSpecialValueText("all")  # 0 = everything the node still keeps
        self.tail_spin.setSuffix(" lines")
        self.tail_spin.setValue(tail)
        self.tail_spin.setToolTip("How many of the newest lines to read (0 = all)")
        controls.addWidget(self.tail_spin)
        controls.addSpacing(8)
        self.previous_check = QCheckBox("Previous instance", self)
        self.previous_check.setObjectName("logsPreviousCheck")
        self.previous_check.setToolTip(
            "The logs of the container's previous run: why a crash-looping container died"
        )
        controls.addWidget(self.previous_check)
        controls.addStretch(1)
        self.follow_button = QPushButton("Follow", self)
        self.follow_button.setObjectName("logsFollowButton")
        self.follow_button.setCheckable(True)
        self.follow_button.setToolTip(
            "Stream new lines as the container writes them; click again to stop"
        )
        controls.addWidget(self.follow_button)
        self.reload_button = QPushButton("Reload", self)
        self.reload_button.setObjectName("logsReloadButton")
        self.reload_button.setToolTip("Read the logs again (F5)")
        controls.addWidget(self.reload_button)
        layout.addLayout(controls)

        self.text = QPlainTextEdit(self)
        self.text.setObjectName("podLogsText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText("No log lines.")
        layout.addWidget(self.text, 1)

        footer = QHBoxLayout()
        self.status_label = QLabel(self)
        self.status_label.setObjectName("logsStatus")
        footer.addWidget(self.status_label, 1)
        self.wrap_check = QCheckBox("Wrap lines", self)
        self.wrap_check.toggled.connect(
            lambda on: self.text.setLineWrapMode(
                QPlainTextEdit.LineWrapMode.WidgetWidth
                if on
                else QPlainTextEdit.LineWrapMode.NoWrap
            )
        )
        footer.addWidget(self.wrap_check)
        layout.addLayout(footer)

        self.container_combo.currentIndexChanged.connect(lambda _: self.load())
        self.tail_spin.editingFinished.connect(self._on_tail_committed)
        self.previous_check.toggled.connect(self._on_previous_toggled)
        self.follow_button.toggled.connect(self._on_follow_toggled)
        self.reload_button.clicked.connect(self.load)
        reload_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.load)
        reload_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._last_tail = tail

    # -- public ---------------------------------------------------------------------------------
    @property
    def container(self) -> str | None:
        data = self.container_combo.currentData()
        return str(data) if data else None

    @property
    def following(self) -> bool:
        return self._slot is not None and not self._slot.stopped

    @property
    def busy(self) -> bool:
        return self._reading or self.following

    def lines(self) -> list[str]:
        text = self.text.toPlainText()
        return text.split("\n") if text else []

    def load(self) -> None:
        """Read again with the current choices: the last N lines, or follow from them."""
        self.stop()
        self.banner.hide()
        if self.follow_button.isChecked() and not self.previous_check.isChecked():
            self._start_follow()
        else:
            self._read_once()

    def stop(self) -> None:
        """End a followed stream (the text stays). Safe to call at any time, more than once."""
        self._generation += 1  # results of jobs started before are dropped from here on
        slot, self._slot = self._slot, None
        self._queue = None
        self._reading = False
        if slot is not None:
            slot.stop()
            self.following_changed.emit(False)

    # -- reading once ------------------------------------------------------------------------
    def _tail(self) -> int | None:
        value = self.tail_spin.value()
        return value or None

    def _read_once(self) -> None:
        generation = self._generation
        job, status, description = self._read_request()
        self._reading = True
        self.status_label.setText(status)
        self.session.runner.submit(
            job,
            description=description,
            on_done=lambda text: self._on_read(generation, text),
            on_error=lambda error: self._on_error(generation, error),
            owner=self,
        )

    def _read_request(self) -> tuple[Callable[[TaskContext], str], str, str]:
        """The job that reads the logs once, what the status says meanwhile, and the job's
        description."""
        session, context, ns, pod = self.session, self.context, self.namespace, self.pod
        container, tail, previous = self._container_or_none(), self._tail(), self._previous()

        def job(ctx: TaskContext) -> str:
            runtime = session.kube(context)
            return read_logs(runtime, ns, pod, container, tail, previous=previous)

        which = "previous logs" if previous else "logs"
        return job, f"Reading the {which} of {pod}…", f"Read the {which} of pod {ns}/{pod}"

    def _on_read(self, generation: int, text: str) -> None:
        if generation != self._generation:
            return
        body = text[:-1] if text.endswith("\n") else text
        lines = body.split("\n") if body else []
        if len(lines) <= DRAIN_CHUNK:
            self.text.setPlainText(body)
            self._finish_read()
            return
        # Many lines: shown in slices like a followed stream (one setPlainText of 20,000 lines
        # holds the UI thread for ~80 ms).
        self.text.clear()
        queue = self._queue = _LineQueue()
        for line in lines:
            queue.put(line)
        self._drain(generation, on_drained=self._finish_read)

    def _finish_read(self) -> None:
        self._reading = False
        self._queue = None
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        self.text.ensureCursorVisible()
        count = len(self.lines())
        which = "previous instance" if self._previous() else "current instance"
        self.status_label.setText(f"{count} line{'s' if count != 1 else ''} · {which}")
        self.loaded.emit()

    def _on_error(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._reading = False
        self.banner.show_error(error, context=f"Logs of {self.pod}")
        self.status_label.setText("Could not read the logs.")
        if self._slot is not None:
            self.stop()
            self._uncheck_follow()
        self.loaded.emit()

    # -- following ---------------------------------------------------------------------------
    def _start_follow(self) -> None:
        generation = self._generation
        slot = StopSlot()
        queue = _LineQueue()
        self._slot, self._queue = slot, queue
        open_stream, status, description = self._follow_request()

        def job(ctx: TaskContext) -> None:
            stream = open_stream()
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
        self.status_label.setText(status)
        self.following_changed.emit(True)
        self.session.runner.submit(
            job,
            description=description,
            on_progress=lambda _: self._drain(generation),
            on_done=lambda _: self._on_follow_ended(generation),
            on_error=lambda error: self._on_error(generation, error),
            owner=self,
        )

    def _follow_request(self) -> tuple[Callable[[], LineStream], str, str]:
        """What opens the followed stream (called in the job), what the status says while
        following, and the job's description."""
        session, context, ns, pod = self.session, self.context, self.namespace, self.pod
        container, tail = self._container_or_none(), self._tail()

        def open_stream() -> LineStream:
            return session.kube(context).follow_logs(ns, pod, container, tail=tail)

        return open_stream, f"Following {pod}…", f"Follow the logs of pod {ns}/{pod}"

    def _drain(self, generation: int, on_drained: Callable[[], None] | None = None) -> None:
        """Show the next slice of queued lines; ``on_drained`` runs once the queue is empty
        (a one-off read shown in slices); without it, the lines come from a followed stream."""
        queue = self._queue
        if generation != self._generation or queue is None:
            return
        lines, more = queue.take(DRAIN_CHUNK)
        if more:
            QTimer.singleShot(0, self, lambda: self._drain(generation, on_drained))
        if lines:
            bar = self.text.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2
            # One append per slice: a thousand lines cost one layout pass, not a thousand.
            self.text.appendPlainText("\n".join(lines))
            if at_end:
                bar.setValue(bar.maximum())
        if on_drained is not None:
            if not more:
                on_drained()
            return
        if lines:
            count = self.text.blockCount()
            capped = " (older lines dropped)" if count >= MAX_LINES or queue.dropped else ""
            self.status_label.setText(f"Following · {count} lines{capped}")
            self.loaded.emit()

    def _on_follow_ended(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._drain(generation)
        # The server ended the stream: the pod is gone or its container will not restart.
        self._slot = None
        self._uncheck_follow()
        self.status_label.setText(f"{self.text.blockCount()} lines · the stream ended")
        self.following_changed.emit(False)

    # -- controls ----------------------------------------------------------------------------
    def _container_or_none(self) -> str | None:
        return self.container

    def _previous(self) -> bool:
        return self.previous_check.isChecked()

    def _on_tail_committed(self) -> None:
        if self.tail_spin.value() != self._last_tail:
            self._last_tail = self.tail_spin.value()
            self.load()

    def _uncheck_follow(self) -> None:
        # Without its toggled handler: the caller has already stopped what needs stopping.
        self.follow_button.blockSignals(True)
        self.follow_button.setChecked(False)
        self.follow_button.setText("Follow")
        self.follow_button.blockSignals(False)

    def _on_previous_toggled(self, on: bool) -> None:
        # A previous instance has ended: there is nothing to follow.
        if on and self.follow_button.isChecked():
            self.stop()
            self._uncheck_follow()
        self.follow_button.setEnabled(not on)
        self.load()

    def _on_follow_toggled(self, on: bool) -> None:
        self.follow_button.setText("Following" if on else "Follow")
        if on:
            self.load()
        else:
            self.stop()
            count = self.text.blockCount() if self.text.toPlainText() else 0
            self.status_label.setText(f"{count} lines · stopped following")


class LogsDialog(QDialog):
    """A non-modal window around a log viewer, under a heading; closing it stops the stream.

    A subclass adds ``self.viewer`` to ``self._layout`` and then calls ``_start(follow)``.
    """

    viewer: PodLogsViewer

    def __init__(
        self, name: str, window_title: str, heading: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.setWindowTitle(window_title)
        self.resize(960, 600)
        self._layout = QVBoxLayout(self)
        title = QLabel(heading, self)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout.addWidget(title)

    def _start(self, follow: bool) -> None:
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


def heading_html(name: str, where: str) -> str:
    """The dialog's heading: the name large, where it runs quieter beside it."""
    return (
        f"<span style='font-size:13pt; font-weight:600'>{name}</span>"
        f"&nbsp;&nbsp;<span style='color:palette(placeholder-text)'>{where}</span>"
    )


class PodLogsDialog(LogsDialog):
    """A non-modal window around a :class:`PodLogsViewer`; closing it stops the stream."""

    def __init__(
        self,
        session: Session,
        context: str,
        namespace: str,
        pod: str,
        containers: Sequence[str],
        *,
        init_containers: Sequence[str] = (),
        tail: int = DEFAULT_TAIL,
        follow: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "podLogsDialog",
            f"Logs — {namespace}/{pod} · {context}",
            heading_html(pod, f"namespace {namespace} · {context}"),
            parent,
        )
        self.viewer = PodLogsViewer(
            session,
            context,
            namespace,
            pod,
            containers,
            init_containers=init_containers,
            tail=tail,
            parent=self,
        )
        self._layout.addWidget(self.viewer, 1)
        self._start(follow)
