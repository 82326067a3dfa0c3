"""``evaluate_rollout`` judged by the real ``kubectl rollout status`` (K8S_ROLLOUT_SPEC.md §4).

The sandbox runs a rollout; our own watch of the Deployment (plain HTTP, as the runtime will do
it) and a concurrent ``kubectl rollout status`` follow it, and the lines kubectl prints must be
the messages ``evaluate_rollout`` computes from the watched objects.

Determinism: kubectl prints one line per watch event it sees, so both watchers must start from
the same object. The Deployment is therefore paused before ``set image``: the controller observes
the new spec but creates nothing, the object stands still, both watches open on it (each has seen
it once it produced its first line), and only then does ``rollout resume`` let the rollout run.
Every event after that reaches both watchers in the store's order. Nothing here depends on timing
beyond generous "must happen eventually" waits.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from kiops_desktop.core.rollout import RolloutProgress, evaluate_rollout, status_word
from tests.integration.sandbox.conftest import Cluster, nginx_deployment, wait_for

pytestmark = pytest.mark.integration

NAME = "web"
WAIT_SECONDS = 60.0


@pytest.fixture
def slow_pods(tmp_path: Path) -> Iterator[Cluster]:
    """A sandbox whose pods take ~0.3 s to start, so a rollout has visible steps."""
    from kiops_desktop.sandbox import Sandbox

    sb = Sandbox(scenario="empty", pod_start_delay=0.3, host="127.0.0.1", port=0)
    sb.start()
    try:
        yield Cluster(sb, tmp_path / "cluster")
    finally:
        sb.stop()


class DeploymentWatch:
    """``GET .../deployments?watch=true&fieldSelector=metadata.name=NAME``, each event evaluated
    with ``evaluate_rollout`` on a reader thread until the rollout is done or has failed."""

    def __init__(self, cl: Cluster, name: str) -> None:
        self.response: requests.Response = cl.http(
            "GET",
            "/apis/apps/v1/namespaces/default/deployments",
            params={
                "watch": "true",
                "fieldSelector": f"metadata.name={name}",
                "timeoutSeconds": str(int(WAIT_SECONDS) + 30),
            },
            stream=True,
            timeout=WAIT_SECONDS + 40,
        )
        assert self.response.status_code == 200, self.response.text
        self.results: list[RolloutProgress] = []
        self.last_object: dict[str, Any] | None = None
        self._seen: queue.Queue[RolloutProgress] = queue.Queue()
        self.finished = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if not line.strip():
                    continue
                event = json.loads(line)
                if event["type"] not in ("ADDED", "MODIFIED", "DELETED"):
                    continue  # BOOKMARK: no object to judge, kubectl prints nothing either
                deleted = event["type"] == "DELETED"
                result = evaluate_rollout(None if deleted else event["object"])
                if not deleted:
                    self.last_object = event["object"]
                self.results.append(result)
                self._seen.put(result)
                if result.done or result.failed:
                    return  # kubectl stops at the same event
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc
        finally:
            self.finished.set()

    def first(self) -> RolloutProgress:
        """The evaluation of the first event: the watch is established once it arrived."""
        try:
            return self._seen.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            raise AssertionError(f"no watch event within {WAIT_SECONDS}s") from None

    def wait(self) -> list[str]:
        assert self.finished.wait(WAIT_SECONDS), f"rollout not finished: {self.messages()}"
        assert self.error is None, self.error
        return self.messages()

    def messages(self) -> list[str]:
        return [result.message for result in self.results]

    def close(self) -> None:
        self.response.close()
        self._thread.join(timeout=10)


def squash(lines: Sequence[str]) -> list[str]:
    """Consecutive duplicates removed: kubectl prints one line per event and several events can
    give the same line (a status write that changes nothing kubectl looks at)."""
    out: list[str] = []
    for line in lines:
        if not out or out[-1] != line:
            out.append(line)
    return out


def paused_change(cl: Cluster, image: str, **spec: Any) -> None:
    """Deploy ``NAME`` and let it settle, then pause it and ``set image``: the new template is
    observed by the controller but not rolled out until ``rollout resume``."""
    res = cl.apply(nginx_deployment(NAME, **spec), "--validate=false")
    assert res.code == 0, res.describe()
    cl.kubectl("rollout", "status", f"deployment/{NAME}", "--timeout=60s", timeout=90).ok()
    cl.kubectl("rollout", "pause", f"deployment/{NAME}").ok()
    cl.kubectl("set", "image", f"deployment/{NAME}", f"nginx={image}").ok()

    def observed() -> bool:
        dep = cl.deployment(NAME)
        return bool(dep["status"].get("observedGeneration") == dep["metadata"]["generation"])

    wait_for(observed, timeout=WAIT_SECONDS)


def follow_resumed_rollout(cl: Cluster) -> tuple[DeploymentWatch, int, list[str], str]:
    """Start both watchers on the paused Deployment, resume it, and let both run to the end.
    Returns our watch, kubectl's exit code, its stdout lines and its stderr."""
    with cl.stream("rollout", "status", f"deployment/{NAME}", "--timeout=60s") as kubectl:
        watch = DeploymentWatch(cl, NAME)
        try:
            first_ours = watch.first()
            first_kubectl = kubectl.next_line(timeout=WAIT_SECONDS)
            assert (
                first_kubectl
                == first_ours.message
                == (
                    f'Waiting for deployment "{NAME}" rollout to finish: 0 out of 3 new replicas '
                    "have been updated..."
                )
            ), kubectl.stderr()
            cl.kubectl("rollout", "resume", f"deployment/{NAME}").ok()
            code, _rest, stderr = kubectl.finish(timeout=WAIT_SECONDS + 30)
            watch.wait()
        finally:
            watch.close()
        return watch, code, list(kubectl.lines), stderr


def test_messages_match_kubectl_until_success(slow_pods: Cluster) -> None:
    cl = slow_pods
    paused_change(cl, "nginx:1.16")
    watch, code, lines, stderr = follow_resumed_rollout(cl)

    assert (code, stderr) == (0, "")
    ours = squash(watch.messages())
    assert ours == squash(lines)
    assert ours[-1] == f'deployment "{NAME}" successfully rolled out'
    # The resume is a spec change: both saw the controller catch up, then real progress.
    assert "Waiting for deployment spec update to be observed..." in ours
    assert len(ours) >= 4, ours

    final = watch.results[-1]
    assert (final.done, final.failed, final.reason, final.fraction) == (
        True,
        False,
        "complete",
        1.0,
    )
    fractions = [result.fraction for result in watch.results]
    assert all(0.0 <= f < 1.0 for f in fractions[:-1])
    assert watch.last_object is not None
    assert status_word(watch.last_object) == "Available"
    cl.settle()
    assert status_word(cl.deployment(NAME)) == "Available"


def test_revision_pin_matches_kubectl(slow_pods: Cluster) -> None:
    cl = slow_pods
    res = cl.apply(nginx_deployment(NAME), "--validate=false")
    assert res.code == 0, res.describe()
    cl.settle()
    cl.kubectl("set", "image", f"deployment/{NAME}", "nginx=nginx:1.16").ok()
    cl.kubectl("rollout", "status", f"deployment/{NAME}", "--timeout=60s", timeout=90).ok()
    dep = cl.deployment(NAME)

    for revision in (1, 2):
        res = cl.kubectl(
            "rollout", "status", f"deployment/{NAME}", f"--revision={revision}", "--watch=false"
        )
        ours = evaluate_rollout(dep, revision=revision)
        if ours.failed:
            assert (res.code, res.stdout, res.stderr) == (1, "", f"error: {ours.message}\n")
        else:
            assert (res.code, res.stdout, res.stderr) == (0, f"{ours.message}\n", "")
    assert evaluate_rollout(dep, revision=1).message == (
        "desired revision (1) is different from the running revision (2)"
    )


def test_crash_loop_exceeds_the_progress_deadline_for_both(slow_pods: Cluster) -> None:
    cl = slow_pods
    paused_change(cl, "nginx:1.16-crashloop", progressDeadlineSeconds=3)
    watch, code, lines, stderr = follow_resumed_rollout(cl)

    expected = f'deployment "{NAME}" exceeded its progress deadline'
    assert (code, stderr) == (1, f"error: {expected}\n")
    ours = squash(watch.messages())
    # kubectl prints the waiting lines on stdout and the failure as its error.
    assert ours == squash([*lines, expected])
    last = watch.results[-1]
    assert (last.failed, last.done, last.reason) == (True, False, "deadline-exceeded")

    # The final object says the same, to us and to kubectl.
    final = cl.deployment(NAME)
    result = evaluate_rollout(final)
    assert (result.failed, result.reason, result.message) == (True, "deadline-exceeded", expected)
    assert 0.0 <= result.fraction < 1.0
    res = cl.kubectl("rollout", "status", f"deployment/{NAME}", "--watch=false")
    assert (res.code, res.stdout, res.stderr) == (1, "", f"error: {expected}\n")
    assert status_word(final) == "Failed"
