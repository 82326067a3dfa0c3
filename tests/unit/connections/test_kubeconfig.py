"""kubeconfig discovery follows kubectl's merge rules, not the Python client's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from kiops_desktop.connections.kubeconfig import KubeconfigError, discover, kubeconfig_paths


def _write(path: Path, contexts: list[tuple[str, str, str | None]], current: str | None) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster, "cluster": {"server": f"https://{cluster}.example:6443"}}
            for _, cluster, _ in contexts
        ],
        "users": [{"name": f"u-{name}", "user": {"token": "x"}} for name, _, _ in contexts],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": cluster, "user": f"u-{name}"}
                | ({"namespace": ns} if ns else {}),
            }
            for name, cluster, ns in contexts
        ],
    }
    if current:
        config["current-context"] = current
    path.write_text(yaml.safe_dump(config))
    return path


def test_first_file_wins_for_names_and_current_context(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", [("prod", "prod-a", "shop")], None)
    second = _write(tmp_path / "b", [("prod", "prod-b", None), ("dev", "dev", None)], "dev")
    third = _write(tmp_path / "c", [], "prod")
    env = {"KUBECONFIG": os.pathsep.join(map(str, (first, second, third)))}
    config = discover(environ=env)
    assert config.current_context == "dev"  # the first file that sets it
    prod = config.context("prod")
    assert prod.cluster == "prod-a"
    assert prod.server == "https://prod-a.example:6443"
    assert prod.namespace == "shop"
    assert prod.source == first
    assert config.context().name == "dev"
    assert config.config_file == os.pathsep.join(map(str, (first, second, third)))


def test_missing_files_are_skipped_like_kubectl(tmp_path: Path) -> None:
    real = _write(tmp_path / "real", [("one", "c1", None)], "one")
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "nope"), str(real)])}
    config = discover(environ=env)
    assert config.paths == (real,)
    assert [c.name for c in config.contexts] == ["one"]


def test_default_path_and_explicit_path(tmp_path: Path) -> None:
    assert kubeconfig_paths(environ={"HOME": str(tmp_path)}) == (tmp_path / ".kube" / "config",)
    assert kubeconfig_paths("/x/y", environ={"KUBECONFIG": "/a"}) == (Path("/x/y"),)


def test_unknown_context_is_a_sentence(tmp_path: Path) -> None:
    real = _write(tmp_path / "real", [("one", "c1", None)], "one")
    config = discover(real)
    with pytest.raises(KubeconfigError, match='context "two" is not in'):
        config.context("two")


@pytest.mark.parametrize(
    ("text", "message"),
    [("a: [", "is not valid YAML"), ("- 1\n- 2\n", "is not a kubeconfig")],
)
def test_broken_files_are_sentences(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken"
    path.write_text(text)
    with pytest.raises(KubeconfigError, match=message):
        discover(path)
