"""What every tab of the operations dialog is: a widget for one service in one session."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ...core.services import Service
from ..banner import Banner
from ..session import Session


class OperationsTab(QWidget):
    """Base of the tabs. Subclasses fill ``self.body`` (a QVBoxLayout under the banner).

    ``refresh()`` reloads what the tab shows; it is called when the tab is first shown and after
    any mutation of this service (the session's ``service_changed``). ``shutdown()`` stops
    watches, streams and processes when the dialog closes.
    """

    title = "Tab"

    def __init__(self, session: Session, service: Service, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = service
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.banner = Banner(self)
        outer.addWidget(self.banner)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)
        self._loaded = False

    def ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def refresh(self) -> None:  # pragma: no cover - every tab overrides
        pass

    def shutdown(self) -> None:
        pass
