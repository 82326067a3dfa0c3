"""The services model: incremental updates keep rows sorted and the selection's row, whether the
rows arrive in order (as the window's workers send them) or not."""

from __future__ import annotations

import random
from typing import Any

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt

from kiops_desktop.core.services import Service
from kiops_desktop.ui.models.services_model import ServicesFilter, ServicesModel

pytestmark = pytest.mark.gui


def svc(name: str, context: str = "ctx", revision: str = "1") -> Service:
    return Service("kubernetes", context, "ns", name, "img:1", revision, "1/1", "Available", "")


def names(model: ServicesModel) -> list[str]:
    return [s.name for s in model.services]


@pytest.mark.parametrize("presorted", [True, False])
def test_stepwise_updates_end_sorted(qapp: Any, qtmodeltester: Any, presorted: bool) -> None:
    model = ServicesModel()
    proxy = ServicesFilter(model)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model)
    first = [svc(f"a{i:04d}", "one") for i in range(3000)]
    random.Random(1).shuffle(first)
    if presorted:
        order = model.order_key()
        assert order is not None
        first.sort(key=order)  # type: ignore[arg-type]
    for _ in model.replace_context_steps("kubernetes", "one", first, step=700):
        pass
    assert names(model) == sorted(names(model))
    # A second context interleaves with the first: the model re-sorts once.
    second = [svc(f"a{i:04d}x", "two") for i in range(0, 3000, 3)]
    model.replace_context("kubernetes", "two", second)
    assert names(model) == sorted(names(model))
    assert len(model.services) == 4000


def test_selection_survives_refreshes_and_sorting(qapp: Any) -> None:
    model = ServicesModel()
    proxy = ServicesFilter(model)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    model.replace_context("kubernetes", "ctx", [svc("b"), svc("c"), svc("a")])
    kept = QPersistentModelIndex(model.index(model.row_of(svc("c").key) or 0, 0))
    model.replace_context("kubernetes", "ctx", [svc("c", revision="2"), svc("aa"), svc("b")])
    assert names(model) == ["aa", "b", "c"]
    assert kept.isValid()
    assert model.service_at(kept.row()).revision == "2"
    proxy.sort(0, Qt.SortOrder.DescendingOrder)
    assert names(model) == ["c", "b", "aa"]
    assert model.service_at(kept.row()).name == "c"
