"""The Qt binding itself: signals emitted from Python must not leak or drop references.

PySide6 6.12.0 dropped one reference to ``True`` per ``Signal.emit()``; the task runner emits on
every job, so a long session (or test run) aborted with ``Fatal Python error: bool_dealloc``.
This keeps such a binding from being installed unnoticed.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

pytestmark = pytest.mark.gui


class Emitter(QObject):
    bare = Signal()
    with_value = Signal(object)


def test_emit_keeps_reference_counts(qapp: Any) -> None:
    emitter = Emitter()
    received: list[object] = []
    emitter.with_value.connect(received.append)
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for number in range(500):
        emitter.bare.emit()
        emitter.with_value.emit(number)
    assert len(received) == 500
    # A little slack for unrelated objects created meanwhile; a leak or drop per emit is 500+.
    assert abs(sys.getrefcount(True) - before_true) < 50
    assert abs(sys.getrefcount(None) - before_none) < 50
