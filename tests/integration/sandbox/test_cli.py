"""``kiops-sandbox serve`` as a subprocess: it prints its URL and kubeconfig path, real kubectl
works with that kubeconfig, and SIGTERM/SIGINT stop it cleanly."""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from .conftest import KubectlResult, run_kubectl

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
URL_RE = re.compile(r"https?://127\.0\.0\.1:\d+")


class ServerProcess:
    def __init__(self, proc: subprocess.Popen[str], kubeconfig_out: Path) -> None:
        self.proc = proc
        self.kubeconfig_out = kubeconfig_out
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, daemon=True),
            threading.Thread(target=self._pump_err, daemon=True),
        ]
        for t in self._threads:
            t.start()
        self.url = ""
        self.kubeconfig_path: Path | None = None

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _pump_err(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.append(self.proc.stderr.read())

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Read stdout until both the URL and the kubeconfig path were printed."""
        deadline = time.monotonic() + timeout
        while not (self.url and self.kubeconfig_path):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"server did not announce itself: {self.lines}"
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                raise AssertionError(f"no output within {timeout}s: {self.lines}") from None
            assert line is not None, (
                f"server exited ({self.proc.wait()}): {self.lines} {self.stderr()}"
            )
            self.lines.append(line)
            m = URL_RE.search(line)
            if m and not self.url:
                self.url = m.group(0)
            if str(self.kubeconfig_out) in line:
                self.kubeconfig_path = self.kubeconfig_out

    def stderr(self) -> str:
        return "".join(self._stderr)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@contextmanager
def serve(tmp_path: Path, *extra: str) -> Iterator[ServerProcess]:
    kubeconfig_out = tmp_path / "sandbox.kubeconfig"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(REPO),
        "LANG": "C.UTF-8",
    }
    argv: Sequence[str] = [
        sys.executable,
        "-m",
        "kiops_desktop.sandbox.cli",
        "serve",
        "--port",
        "0",
        "--kubeconfig-out",
        str(kubeconfig_out),
        *extra,
    ]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = ServerProcess(proc, kubeconfig_out)
    try:
        server.wait_ready()
        yield server
    finally:
        server.close()


def kubectl(
    server: ServerProcess, tmp_path: Path, *args: str, kubeconfig: Path | None = None
) -> KubectlResult:
    home = tmp_path / "kubectl-home"
    home.mkdir(exist_ok=True)
    assert server.kubeconfig_path is not None
    return run_kubectl(
        args,
        home=home,
        kubeconfig=kubeconfig or server.kubeconfig_path,
        cache_dir=tmp_path / "kubectl-cache",
    )


def stop(server: ServerProcess, sig: signal.Signals) -> tuple[int, float]:
    started = time.monotonic()
    server.proc.send_signal(sig)
    code = server.proc.wait(timeout=20)
    return code, time.monotonic() - started


def test_cli_demo_over_tls_with_token(tmp_path: Path) -> None:
    token = "cli-token-123"
    with serve(tmp_path, "--scenario", "demo", "--tls", "--token", token) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.kubeconfig_path is not None
        cfg = yaml.safe_load(server.kubeconfig_path.read_text())
        cluster = cfg["clusters"][0]["cluster"]
        assert cluster["server"] == server.url
        assert cluster["certificate-authority-data"]
        assert "insecure-skip-tls-verify" not in cluster
        assert cfg["users"][0]["user"]["token"] == token

        res = kubectl(server, tmp_path, "get", "deploy", "-A")
        assert (res.code, res.stderr) == (0, ""), res.describe()
        lines = res.stdout.splitlines()
        assert lines[0].split() == [
            "NAMESPACE",
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
        ]
        rows = [line.split() for line in lines[1:]]
        assert len(rows) >= 6, res.stdout
        res = kubectl(server, tmp_path, "get", "deploy", "-A", "-o", "json")
        assert res.code == 0, res.describe()
        items = json.loads(res.stdout)["items"]
        assert sorted((r[0], r[1]) for r in rows) == sorted(
            (d["metadata"]["namespace"], d["metadata"]["name"]) for d in items
        )
        assert len({d["metadata"]["namespace"] for d in items}) >= 2
        # the raw API agrees, with the token and the CA from the kubeconfig
        ca = tmp_path / "ca.pem"
        ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
        session = requests.Session()
        session.trust_env = False
        resp = session.get(
            server.url + "/apis/apps/v1/deployments",
            headers={"Authorization": f"Bearer {token}"},
            verify=str(ca),
            timeout=10,
        )
        assert resp.status_code == 200
        assert len(resp.json()["items"]) == len(items)
        resp = session.get(server.url + "/apis/apps/v1/deployments", verify=str(ca), timeout=10)
        assert resp.status_code == 401

        code, elapsed = stop(server, signal.SIGTERM)
        assert code == 0, server.stderr()
        assert elapsed < 10
        assert "Traceback" not in server.stderr()


def test_cli_sigint_plain_http(tmp_path: Path) -> None:
    with serve(tmp_path, "--scenario", "empty", "--pod-start-delay", "0") as server:
        assert server.url.startswith("http://127.0.0.1:")
        res = kubectl(server, tmp_path, "get", "ns", "-o", "name")
        assert (res.code, res.stderr) == (0, ""), res.describe()
        assert res.stdout == (
            "namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\n"
            "namespace/kube-system\n"
        )
        res = kubectl(server, tmp_path, "get", "deploy", "-A")
        assert (res.code, res.stdout, res.stderr) == (0, "", "No resources found\n")
        port = int(server.url.rsplit(":", 1)[1])
        code, elapsed = stop(server, signal.SIGINT)
        assert code == 0, server.stderr()
        assert elapsed < 10
        assert "Traceback" not in server.stderr()
        res = kubectl(server, tmp_path, "get", "ns")
        assert res.code == 1
        assert f"127.0.0.1:{port} was refused" in res.stderr


def test_cli_read_only_token(tmp_path: Path) -> None:
    with serve(
        tmp_path,
        "--scenario",
        "demo",
        "--tls",
        "--token",
        "rw-token",
        "--read-only-token",
        "ro-token",
    ) as server:
        assert server.kubeconfig_path is not None
        cfg = yaml.safe_load(server.kubeconfig_path.read_text())
        cfg["users"][0]["user"]["token"] = "ro-token"
        ro = tmp_path / "ro.kubeconfig"
        ro.write_text(yaml.safe_dump(cfg))
        res = kubectl(server, tmp_path, "get", "deploy", "-A", "-o", "name", kubeconfig=ro)
        assert res.code == 0, res.describe()
        first = res.stdout.splitlines()[0]
        ns_res = kubectl(server, tmp_path, "get", "deploy", "-A", "-o", "json", kubeconfig=ro)
        dep = json.loads(ns_res.stdout)["items"][0]
        assert first == f"deployment.apps/{dep['metadata']['name']}"
        res = kubectl(
            server,
            tmp_path,
            "scale",
            f"deployment/{dep['metadata']['name']}",
            "-n",
            dep["metadata"]["namespace"],
            "--replicas=1",
            kubeconfig=ro,
        )
        assert res.code == 1
        assert res.stderr.startswith("Error from server (Forbidden): "), res.stderr
        code, _ = stop(server, signal.SIGTERM)
        assert code == 0


def test_cli_prints_usage_errors(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiops_desktop.sandbox.cli", "serve", "--scenario", "nope"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "nope" in proc.stderr


def test_cli_token_without_tls_is_usable_or_refused(tmp_path: Path) -> None:
    """kubectl (client-go 1.37) never sends a bearer token over plain http://, so a token
    without --tls would print a kubeconfig kubectl cannot use: the CLI must either refuse that
    combination or still hand out a kubeconfig that works."""
    kubeconfig_out = tmp_path / "sandbox.kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiops_desktop.sandbox.cli",
            "serve",
            "--port",
            "0",
            "--scenario",
            "empty",
            "--token",
            "plain-token",
            "--kubeconfig-out",
            str(kubeconfig_out),
        ],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = ServerProcess(proc, kubeconfig_out)
    try:
        try:
            server.wait_ready(timeout=60)
        except AssertionError:
            code = proc.wait(timeout=20)
            assert code != 0, server.lines
            assert "tls" in server.stderr().lower(), server.stderr()
            return
        res = kubectl(server, tmp_path, "get", "ns", "-o", "name")
        assert (res.code, res.stderr) == (0, ""), res.describe()
        assert "namespace/default\n" in res.stdout
        code, _ = stop(server, signal.SIGTERM)
        assert code == 0
    finally:
        server.close()
