"""The operations dialog: one per service, non-modal, tabs chosen by what the runtime offers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from ...core.services import Service
from ..guard import production_badge
from ..session import Session
from .base import OperationsTab

TabFactory = Callable[[Session, Service, QWidget], OperationsTab]


def tabs_for(service: Service) -> list[TabFactory]:
    """The tabs a service gets, from what its runtime can do (not from UI branches per engine)."""
    if service.runtime == "kubernetes":
        from .console_tab import ConsoleTab
        from .deployment_tab import DeploymentTab
        from .pods_tab import PodsTab

        return [DeploymentTab, PodsTab, ConsoleTab]
    from .console_tab import ConsoleTab

    factories: list[TabFactory] = []
    try:
        from .containers_tab import ContainersTab

        factories.append(ContainersTab)
    except ImportError:  # the containers UI arrives with its own issue
        pass
    factories.append(ConsoleTab)
    return factories


class OperationsDialog(QDialog):
    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("operationsDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.session = session
        self.service = service
        runtime = service.runtime.capitalize()
        self.setWindowTitle(f"{service.title} — {runtime} · {service.context} — KIOPS Desktop")
        self.resize(1100, 720)

        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("operationsTabs")
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self.tab_widgets: list[OperationsTab] = []
        for factory in tabs_for(service):
            tab = factory(session, service, self)
            self.tab_widgets.append(tab)
            self.tabs.addTab(tab, tab.title)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        session.events.service_changed.connect(self._on_service_changed)
        for index in range(min(self.tabs.count(), 9)):
            shortcut = QShortcut(QKeySequence(f"Alt+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.tabs.setCurrentIndex(i))
        if self.tab_widgets:
            self.tab_widgets[0].ensure_loaded()

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        s = self.service
        name = QLabel(f"<span style='font-size:15pt; font-weight:600'>{s.name}</span>", self)
        name.setObjectName("operationsServiceName")
        row.addWidget(name)
        where = QLabel(
            f"{s.runtime} · <b>{s.context}</b>"
            + (f" · namespace <b>{s.namespace}</b>" if s.namespace else ""),
            self,
        )
        row.addWidget(where)
        if s.production:
            row.addWidget(production_badge(self))
        row.addStretch(1)
        self.image_label = QLabel(self)
        self.image_label.setObjectName("operationsImage")
        self.image_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._show_image(s)
        row.addWidget(self.image_label)
        return row

    def _show_image(self, s: Service) -> None:
        revision = (
            f"revision {s.revision}" if s.runtime == "kubernetes" and s.revision else s.revision
        )
        self.image_label.setText(
            f"<span style='color:palette(placeholder-text)'>image</span> <code>{s.image}</code>"
            + (f" · {revision}" if revision else "")
        )

    def update_service(self, service: Service) -> None:
        """A fresher record of the same service (after a rollback, a deploy, a refresh): the
        header shows its current image and revision. Tabs keep reading the live state."""
        if service.key == self.service.key and service != self.service:
            self.service = service
            self._show_image(service)

    def tab(self, object_name: str) -> OperationsTab:
        for tab in self.tab_widgets:
            if tab.objectName() == object_name:
                return tab
        raise KeyError(object_name)

    def _on_tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, OperationsTab):
            widget.ensure_loaded()

    def _on_service_changed(self, key: str) -> None:
        if key != self.service.key:
            return
        for tab in self.tab_widgets:
            if tab._loaded:
                tab.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        for tab in self.tab_widgets:
            tab.shutdown()
        with contextlib.suppress(RuntimeError, TypeError):
            self.session.events.service_changed.disconnect(self._on_service_changed)
        super().closeEvent(event)
