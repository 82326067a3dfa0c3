"""The Backups page's table: a pure column spec over ``BackupRow`` records (what each cell says)
and a ``QAbstractTableModel`` that only adapts it, updated incrementally by backup id so the
selection survives a refresh (STYLE.md §3, §4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ..ops.backups import Backup, VerifyResult
from .revisions_model import created_text

AnyIndex = QModelIndex | QPersistentModelIndex

# The BackupRow itself, for the page and for tests; the sort key of a cell.
RowRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2

OK_COLOUR = "#2e7d32"
BAD_COLOUR = "#c62828"
MUTED_COLOUR = "#757575"

VerifyStateName = Literal["unknown", "checking", "ok", "corrupt"]


@dataclass(frozen=True)
class VerifyState:
    state: VerifyStateName = "unknown"
    text: str = "not verified"
    tooltip: str = "Not verified since the app started: Verify recomputes every checksum."

    @classmethod
    def checking(cls) -> VerifyState:
        return cls("checking", "verifying…", "Recomputing the checksum of every archive")

    @classmethod
    def of(cls, result: VerifyResult, when: datetime | None = None) -> VerifyState:
        at = (when or datetime.now(UTC)).astimezone().strftime("%H:%M:%S")
        if result.ok:
            count = len(result.backup.volumes)
            return cls("ok", "ok", f"Every checksum matched ({count} archive(s)), checked at {at}.")
        # Name the damaged archives by their volume: an operator deciding whether a backup is
        # still worth restoring needs to know which volume it would lose (the file, in the
        # tooltip, is one per volume).
        bad = [
            v.name or v.source or v.destination
            for v in result.backup.volumes
            if any(f"({v.file})" in problem for problem in result.problems)
        ]
        text = "CORRUPT: " + (", ".join(bad) if bad else "; ".join(result.problems))
        return cls("corrupt", text, f"{result}\nChecked at {at}.")


@dataclass(frozen=True)
class BackupRow:
    backup: Backup
    # "docker:default" / "podman:NAME": the engine connection the backup was taken on, when the
    # app knows it (session.endpoints); None when no known connection talks to that engine.
    connection: str | None
    verify: VerifyState = field(default_factory=VerifyState)

    @property
    def id(self) -> str:
        return self.backup.id


def human_size(size: int) -> str:
    """1023 B, 4.0 KiB, 12.5 MiB, 1.2 GiB (binary units: what file managers and du show)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # unreachable: the loop returns at TiB


def short_digest(backup: Backup) -> str:
    """``sha256:0123456789ab``: the registry digest when the image has one (what a pull by
    digest would ask for), else the local image id."""
    digests = backup.manifest.get("repo_digests") or []
    digest = str(digests[0]).rpartition("@")[2] if digests else backup.image_id
    return digest[:19]


def backup_connection_text(backup: Backup) -> str:
    """Where the backup says it was taken: the engine's address as the adapter knew it."""
    return str(backup.manifest.get("connection") or "an unknown address")


def _engine_text(row: BackupRow) -> str:
    if row.connection:
        return row.connection
    return f"{row.backup.engine} · unknown connection"


def _engine_tooltip(row: BackupRow) -> str:
    where = backup_connection_text(row.backup)
    if row.connection:
        return f"Taken on {row.backup.engine} at {where} (connection {row.connection})."
    return (
        f"Taken on {row.backup.engine} at {where}, which none of the known Docker contexts or "
        "Podman connections points at: the backup can be verified, not restored."
    )


def _image_tooltip(row: BackupRow) -> str:
    b = row.backup
    lines = [f"Reference: {b.image}", f"Image id: {b.image_id}"]
    lines += [f"Digest: {d}" for d in b.manifest.get("repo_digests") or []]
    return "\n".join(lines)


def _volumes_text(row: BackupRow) -> str:
    vols = row.backup.volumes
    if not vols:
        return "(none)"
    return ", ".join(v.name or v.source or v.destination for v in vols)


def _volumes_tooltip(row: BackupRow) -> str:
    vols = row.backup.volumes
    if not vols:
        return "The container had no named volumes: only its configuration was backed up."
    return "\n".join(
        f"{v.type} {v.name or v.source} → {v.destination} ({human_size(v.size)})" for v in vols
    )


def _service_tooltip(row: BackupRow) -> str:
    b = row.backup
    return f"Container {b.container_name}\nBackup {b.id}\n{b.path}"


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[BackupRow], str]
    sort_key: Callable[[BackupRow], Any] | None = None
    tooltip: Callable[[BackupRow], str] | None = None
    colour: Callable[[BackupRow], str | None] | None = None
    align_right: bool = False
    width: int = 0


def _verify_colour(row: BackupRow) -> str | None:
    return {"ok": OK_COLOUR, "corrupt": BAD_COLOUR, "checking": MUTED_COLOUR}.get(row.verify.state)


BACKUP_COLUMNS: Sequence[Column] = (
    Column("Service", lambda r: r.backup.service, tooltip=_service_tooltip, width=150),
    Column(
        "Engine",
        _engine_text,
        tooltip=_engine_tooltip,
        colour=lambda r: None if r.connection else BAD_COLOUR,
        width=170,
    ),
    Column(
        "Created",
        lambda r: created_text(r.backup.created),
        sort_key=lambda r: r.backup.created,
        tooltip=lambda r: f"{r.backup.created} (UTC)",
        width=160,
    ),
    Column("Image", lambda r: r.backup.image, tooltip=_image_tooltip, width=260),
    Column("Digest", lambda r: short_digest(r.backup), tooltip=_image_tooltip, width=150),
    Column("Volumes", _volumes_text, tooltip=_volumes_tooltip, width=150),
    Column(
        "Size",
        lambda r: human_size(r.backup.size),
        sort_key=lambda r: r.backup.size,
        align_right=True,
        width=80,
    ),
    Column(
        "Verified",
        lambda r: r.verify.text,
        sort_key=lambda r: (r.verify.state, r.verify.text),
        tooltip=lambda r: r.verify.tooltip,
        colour=_verify_colour,
        width=200,
    ),
)
IMAGE_COLUMN = 3


class BackupsModel(QAbstractTableModel):
    """Rows in the store's order (newest first); ``set_rows`` merges by backup id."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = BACKUP_COLUMNS
        self.rows: list[BackupRow] = []

    # -- Qt interface -------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[section].align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if not 0 <= index.column() < len(self.columns):
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row) if column.tooltip else None
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = column.colour(row) if column.colour else None
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
            )
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == SortRole:
            key = column.sort_key(row) if column.sort_key else column.text(row)
            return key if isinstance(key, int | str) else str(key)
        if role == RowRole:
            return row
        return None

    # -- updates ------------------------------------------------------------------------------
    def row_of(self, backup_id: str) -> int:
        for number, row in enumerate(self.rows):
            if row.id == backup_id:
                return number
        return -1

    def set_rows(self, rows: Sequence[BackupRow]) -> None:
        """Merge a fresh listing (same order as ``rows``): rows that left are removed, new ones
        inserted where they belong, the rest updated in place."""
        wanted = {r.id for r in rows}
        for number in range(len(self.rows) - 1, -1, -1):
            if self.rows[number].id not in wanted:
                self.beginRemoveRows(QModelIndex(), number, number)
                del self.rows[number]
                self.endRemoveRows()
        present = {r.id for r in self.rows}
        for number, new in enumerate(rows):
            if new.id in present:
                current = self.row_of(new.id)
                if current != number:  # same ids, another order: cannot happen with one store
                    self.beginResetModel()
                    self.rows = list(rows)
                    self.endResetModel()
                    return
                if self.rows[number] != new:
                    self.rows[number] = new
                    self._row_changed(number)
            else:
                self.beginInsertRows(QModelIndex(), number, number)
                self.rows.insert(number, new)
                self.endInsertRows()

    def set_verify(self, backup_id: str, state: VerifyState) -> None:
        number = self.row_of(backup_id)
        if number >= 0:
            self.rows[number] = replace(self.rows[number], verify=state)
            self._row_changed(number)

    def _row_changed(self, number: int) -> None:
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(self.columns) - 1))
