"""app.py computes the kubeconfig list without importing connections.clusters (start-up cost);
it must stay the same list that module defines."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiops_desktop.app import with_app_kubeconfig
from kiops_desktop.connections.clusters import kubeconfig_paths_with_app
from kiops_desktop.connections.kubeconfig import kubeconfig_paths


@pytest.mark.parametrize("explicit", [None, "some/kubeconfig"])
def test_same_list_as_the_clusters_module(
    explicit: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path}/a:{tmp_path}/b")
    expected = kubeconfig_paths_with_app(explicit)
    assert with_app_kubeconfig(kubeconfig_paths(explicit)) == expected
    assert expected[-1] == tmp_path / "home" / "config" / "kubeconfig"


def test_the_app_file_is_not_listed_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOPS_HOME", str(tmp_path / "home"))
    app_file = tmp_path / "home" / "config" / "kubeconfig"
    assert with_app_kubeconfig((app_file,)) == (app_file,)
