"""After a rollback: the rollout monitor follows the watch to its outcome, and verification
proves it worked (or says exactly why not) — on healthy and on crash-looping revisions."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator

import pytest

from kiops_desktop.core.rollout import RolloutProgress
from kiops_desktop.runtimes.errors import Cancelled, TimedOut
from kiops_desktop.runtimes.kubernetes import KubernetesRuntime
from tests.integration.sandbox.conftest import (
    Cluster,
    apply_and_settle,
    nginx_deployment,
    set_image,
)

pytestmark = pytest.mark.integration


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(type(self).status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[Callable[[int], str]]:
    servers: list[http.server.HTTPServer] = []

    def start(status: int) -> str:
        handler = type("Handler", (_Health,), {"status": status})
        server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/healthz"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_healthy_rollback_completes_and_verifies(
    secure_cluster: Callable[..., Cluster],
    runtime_for: Callable[..., KubernetesRuntime],
    health_server: Callable[[int], str],
) -> None:
    cl = secure_cluster(pod_start_delay=0.2)
    apply_and_settle(cl, nginx_deployment())
    set_image(cl, "nginx:1.16")
    runtime = runtime_for(cl)
    pods_before = runtime.pods_snapshot("default", "nginx")
    runtime.execute(runtime.plan_rollback("default", "nginx"))
    seen: list[RolloutProgress] = []
    final = runtime.monitor_rollout("default", "nginx", timeout=30, on_progress=seen.append)
    assert final.done
    assert final.message == 'deployment "nginx" successfully rolled out'
    assert any(not p.done for p in seen), "the monitor must report progress on the way"
    report = runtime.verify(
        "default", "nginx", pods_before=pods_before, health_url=health_server(200)
    )
    outcomes = {c.name: c.outcome for c in report.checks}
    assert report.passed, report.summary
    assert list(outcomes.values()).count("passed") == 4, report.checks


def test_verification_fails_on_a_bad_health_check(
    secure_cluster: Callable[..., Cluster],
    runtime_for: Callable[..., KubernetesRuntime],
    health_server: Callable[[int], str],
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    set_image(cl, "nginx:1.16")
    runtime = runtime_for(cl)
    pods_before = runtime.pods_snapshot("default", "nginx")
    runtime.execute(runtime.plan_rollback("default", "nginx"))
    runtime.monitor_rollout("default", "nginx", timeout=30)
    report = runtime.verify(
        "default", "nginx", pods_before=pods_before, health_url=health_server(503)
    )
    assert not report.passed
    failed = [c for c in report.checks if c.outcome == "failed"]
    assert len(failed) == 1
    assert "503" in failed[0].evidence


def test_health_url_from_the_annotation(
    secure_cluster: Callable[..., Cluster],
    runtime_for: Callable[..., KubernetesRuntime],
    health_server: Callable[[int], str],
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    cl.ok("annotate", "deployment/nginx", f"kiops.io/health-url={health_server(200)}")
    set_image(cl, "nginx:1.16")
    runtime = runtime_for(cl)
    pods_before = runtime.pods_snapshot("default", "nginx")
    report = runtime.verify("default", "nginx", pods_before=pods_before)
    health = [c for c in report.checks if c.outcome != "skipped" and "127.0.0.1" in c.evidence]
    assert health, report.checks
    assert report.passed, report.summary


def test_crash_looping_revision_fails_monitor_and_verification(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster(crash_backoff=0.3)
    apply_and_settle(cl, nginx_deployment(progressDeadlineSeconds=3))
    set_image(cl, "nginx:1.16-crashloop")
    set_image(cl, "nginx:1.17")
    runtime = runtime_for(cl)
    pods_before = runtime.pods_snapshot("default", "nginx")
    # Rolling back to revision 2 brings the crash-looping image back.
    runtime.execute(runtime.plan_rollback("default", "nginx"))
    final = runtime.monitor_rollout("default", "nginx", timeout=30)
    assert final.failed
    assert final.message == 'deployment "nginx" exceeded its progress deadline'
    report = runtime.verify("default", "nginx", pods_before=pods_before)
    assert not report.passed
    failed = {c.name: c.evidence for c in report.checks if c.outcome == "failed"}
    # Between back-offs the container briefly runs (not ready), so the pod is described either
    # as CrashLoopBackOff or by its restarts; both name the crash.
    assert any("CrashLoopBackOff" in e or "restarts" in e for e in failed.values()), failed
    assert "pods not ready" in failed["pods ready"]
    assert any("FATAL" in e or "ERROR" in e for e in failed.values()), failed


def test_monitor_times_out_with_the_last_status(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    set_image(cl, "nginx:1.16-pullerror")
    runtime = runtime_for(cl)
    with pytest.raises(TimedOut) as caught:
        runtime.monitor_rollout("default", "nginx", timeout=1.0)
    assert "did not finish within 1 s" in str(caught.value)
    assert "Waiting for deployment" in str(caught.value)


def test_monitor_can_be_cancelled(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster()
    apply_and_settle(cl, nginx_deployment())
    set_image(cl, "nginx:1.16-pullerror")
    runtime = runtime_for(cl)
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(Cancelled):
        runtime.monitor_rollout("default", "nginx", timeout=30, cancel=cancel)


def test_monitor_survives_a_dropped_watch(
    secure_cluster: Callable[..., Cluster], runtime_for: Callable[..., KubernetesRuntime]
) -> None:
    cl = secure_cluster(pod_start_delay=0.5)
    apply_and_settle(cl, nginx_deployment())
    runtime = runtime_for(cl)
    cl.sb.inject_fault("GET", r"/deployments$", count=1, drop=True, delay=0.2)
    cl.ok("set", "image", "deployment/nginx", "nginx=nginx:1.16")
    final = runtime.monitor_rollout("default", "nginx", timeout=30)
    assert final.done
