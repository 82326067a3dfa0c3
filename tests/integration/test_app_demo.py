"""``kiops-desktop --demo`` (what ``make demo`` runs) as a real process: the window opens
(offscreen), the demo cluster comes up over HTTPS with a token, the printed kubeconfig works with
the real kubectl, and Ctrl+C closes the app cleanly, removing the kubeconfig (it holds the
token)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.sandbox.conftest import run_kubectl

pytestmark = pytest.mark.integration


def test_demo_serves_the_demo_cluster_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiops_desktop", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "QT_QPA_PLATFORM": "offscreen",
            "KIOPS_HOME": str(tmp_path / "kiops-home"),
        },
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.strip().startswith("try:"):
                break
        text = "".join(lines)
        server = re.search(r"API server: (https://127\.0\.0\.1:\d+)", text)
        kubeconfig = re.search(r"kubeconfig: (\S+)", text)
        assert server, text
        assert kubeconfig, text
        path = Path(kubeconfig.group(1))
        assert path.stat().st_mode & 0o777 == 0o600
        res = run_kubectl(
            ("get", "deploy", "-n", "shop", "-o", "name"),
            home=tmp_path,
            kubeconfig=path,
            cache_dir=tmp_path / "cache",
            timeout=60,
        )
        assert res.code == 0, res.describe()
        assert "deployment.apps/storefront" in res.stdout.split()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not path.exists(), "the demo kubeconfig holds a token and must be removed"
        assert (tmp_path / "kiops-home" / "state" / "window.ini").exists()
        assert proc.stderr is not None
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
