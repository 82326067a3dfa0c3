"""Start-up of KIOPS Desktop: arguments, logging, then the app.

The desktop window is being built (see the project's issues); until it lands, ``--demo`` starts
the embedded sandbox cluster and tells you how to point kubectl at it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiops-desktop",
        description="Roll back a bad release on Kubernetes, Docker and Podman, and prove it "
        "worked.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="start the embedded sandbox cluster with demo services"
    )
    parser.add_argument(
        "--kubeconfig", type=Path, help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"
    )
    parser.add_argument("--context", help="kubeconfig context to open")
    return parser


def _run_demo() -> int:
    import secrets

    from .sandbox import Sandbox

    token = secrets.token_urlsafe(24)
    sandbox = Sandbox(
        scenario="demo", tls=True, token=token, pod_start_delay=1.0, crash_backoff=5.0
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sandbox.start()
    directory = Path(tempfile.mkdtemp(prefix="kiops-demo-"))
    try:
        kubeconfig = sandbox.write_kubeconfig(directory / "kubeconfig")
        print("KIOPS Desktop demo: the sandbox cluster is running.")
        print(f"  API server: {sandbox.url}")
        print(f"  kubeconfig: {kubeconfig}")
        print("The desktop window is not part of this build yet. Meanwhile, try:")
        print(f"  .venv/bin/kubectl --kubeconfig {kubeconfig} get deployments --all-namespaces")
        print(
            f"  .venv/bin/kubectl --kubeconfig {kubeconfig} -n shop rollout history "
            "deployment/storefront"
        )
        print(f"  .venv/bin/kubectl --kubeconfig {kubeconfig} -n shop rollout undo deployment/cart")
        print("Stop with Ctrl+C.", flush=True)
        stop.wait()
    finally:
        sandbox.stop()
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.demo:
        return _run_demo()
    print(
        "kiops-desktop: the desktop window is not built yet; run 'kiops-desktop --demo' to start "
        "the sandbox cluster and use kubectl against it.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
