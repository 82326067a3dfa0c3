"""Kubernetes operations against kubectl on the same sandbox (issue: Kubernetes operations).

Printed, not asserted: the ratio of our time to kubectl's for (1) the history of a deployment
with 500 revisions (goal < 1.0) and (2) listing 5,000 deployments across 50 namespaces against
``kubectl get deploy -A -o json`` (goal < 1.0). Assertions only check that both sides produced
the same thing."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.bench.test_sandbox_bench import KUBECTL

pytestmark = pytest.mark.bench

RUNS = 5


def _sandbox(tmp: Path, params: dict[str, int]) -> Iterator[tuple[Path, Path]]:
    from kiops_desktop.sandbox import Sandbox

    sb = Sandbox(scenario="scale", scenario_params=params, tls=True, token="bench-token")
    started = time.perf_counter()
    sb.start()
    try:
        sb.settle(timeout=600)
        print(f"\nscale scenario {params} ready in {time.perf_counter() - started:.1f} s")
        home = tmp / "home"
        home.mkdir()
        yield Path(sb.write_kubeconfig(tmp / "kubeconfig")), home
    finally:
        sb.stop()


@pytest.fixture(scope="module")
def long_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    params = {"deployments": 1, "namespaces": 1, "revisions": 500, "pods": 1, "history_limit": 1000}
    yield from _sandbox(tmp_path_factory.mktemp("history"), params)


@pytest.fixture(scope="module")
def many_deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    params = {"deployments": 5000, "namespaces": 50, "revisions": 1, "pods": 0}
    yield from _sandbox(tmp_path_factory.mktemp("many"), params)


def _kubectl(kubeconfig: Path, home: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "KUBERC": "off",
    }
    proc = subprocess.run(
        [KUBECTL, *args, f"--cache-dir={home / 'cache'}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _median(action: Callable[[], Any]) -> tuple[float, Any]:
    action()  # warm-up: discovery cache, TLS session, imports
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _report(name: str, ours: float, theirs: float) -> None:
    ratio = ours / theirs
    verdict = "meets" if ratio < 1.0 else "MISSES"
    print(
        f"\n{name}: ours {ours * 1000:.0f} ms, kubectl {theirs * 1000:.0f} ms, "
        f"ratio {ratio:.2f} (goal < 1.0: {verdict})"
    )


def test_history_of_500_revisions(long_history: tuple[Path, Path]) -> None:
    kubeconfig, home = long_history
    runtime = KubernetesRuntime(str(kubeconfig), "kiops-sandbox")
    args = ("rollout", "history", "deployment/svc-00000", "-n", "team-000")
    theirs, text = _median(lambda: _kubectl(kubeconfig, home, *args))
    ours, history = _median(lambda: runtime.history("team-000", "svc-00000"))
    assert history.raw_text == text
    assert len(history.revisions) == 500
    _report("history of a deployment with 500 revisions", ours, theirs)


def test_list_5000_deployments(many_deployments: tuple[Path, Path]) -> None:
    kubeconfig, home = many_deployments
    runtime = KubernetesRuntime(str(kubeconfig), "kiops-sandbox")
    theirs, text = _median(lambda: _kubectl(kubeconfig, home, "get", "deploy", "-A", "-o", "json"))
    ours, summaries = _median(runtime.list_deployments)
    assert len(json.loads(text)["items"]) == len(summaries) == 5000
    assert len({s.namespace for s in summaries}) == 50
    _report("list 5,000 deployments across 50 namespaces", ours, theirs)
