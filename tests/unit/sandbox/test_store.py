"""The store's contract: resourceVersions, no-op writes, watch replay and 410 Expired."""

from __future__ import annotations

import pytest

from kiops_desktop.sandbox import store as store_module
from kiops_desktop.sandbox.errors import ApiError
from kiops_desktop.sandbox.store import Store, clone

KEY = ("", "configmaps")


def _cm(name: str, value: str = "1") -> dict:
    return {"metadata": {"name": name, "namespace": "default"}, "data": {"v": value}}


def test_every_write_gets_a_higher_resource_version() -> None:
    store = Store()
    a = store.create(KEY, _cm("a"), group="")
    b = store.create(KEY, _cm("b"), group="")
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    changed = clone(a)
    changed["data"]["v"] = "2"
    updated = store.replace(KEY, changed, group="")
    assert int(updated["metadata"]["resourceVersion"]) > int(b["metadata"]["resourceVersion"])


def test_a_write_that_changes_nothing_is_not_a_write() -> None:
    store = Store()
    created = store.create(KEY, _cm("a"), group="")
    before = store.resource_version
    same = store.replace(KEY, clone(created), group="")
    assert store.resource_version == before
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_create_twice_is_already_exists() -> None:
    store = Store()
    store.create(KEY, _cm("a"), group="")
    with pytest.raises(ApiError) as caught:
        store.create(KEY, _cm("a"), group="")
    assert caught.value.code == 409
    assert caught.value.reason == "AlreadyExists"
    assert caught.value.message == 'configmaps "a" already exists'


def test_dry_run_create_persists_nothing() -> None:
    store = Store()
    store.create(KEY, _cm("a"), group="", dry_run=True)
    assert store.get(KEY, "default", "a") is None
    assert store.resource_version == 0


def test_watch_replays_events_after_a_resource_version() -> None:
    store = Store()
    first = store.create(KEY, _cm("a"), group="")
    store.create(KEY, _cm("b"), group="")
    store.delete(KEY, "default", "a", group="")
    watcher, initial, replay, _ = store.watch(KEY, int(first["metadata"]["resourceVersion"]))
    assert initial == []
    assert [(e.type, e.obj["metadata"]["name"]) for e in replay] == [
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]
    store.create(KEY, _cm("c"), group="")
    live = watcher.take(1.0)
    assert [(e.type, e.obj["metadata"]["name"]) for e in live] == [("ADDED", "c")]
    store.unwatch(watcher)
    assert watcher.closed


def test_watch_from_a_version_older_than_the_history_is_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "HISTORY_LENGTH", 3)
    store = Store()
    for i in range(6):
        store.create(KEY, _cm(f"cm-{i}"), group="")
    with pytest.raises(ApiError) as caught:
        store.watch(KEY, 1)
    assert caught.value.code == 410
    assert caught.value.reason == "Expired"
    assert caught.value.message.startswith("too old resource version: 1 (")


def test_list_is_sorted_by_namespace_then_name() -> None:
    store = Store()
    for ns, name in (("b", "x"), ("a", "z"), ("a", "y")):
        store.create(KEY, {"metadata": {"name": name, "namespace": ns}}, group="")
    items, _ = store.list_objects(KEY)
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items] == [
        ("a", "y"),
        ("a", "z"),
        ("b", "x"),
    ]
