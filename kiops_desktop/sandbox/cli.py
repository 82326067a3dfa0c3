"""``kiops-sandbox``: run the sandbox API server on its own, for kubectl and for demos."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType

from .sandbox import Sandbox
from .scenarios import SCENARIOS, ScenarioError

TOKEN_ENV = "KIOPS_SANDBOX_TOKEN"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _param(text: str) -> tuple[str, int]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=NUMBER, got {text!r}")
    try:
        return key, int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{key} needs a whole number, got {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiops-sandbox",
        description="An embedded Kubernetes API server for demos and tests. kubectl and the "
        "Kubernetes client libraries work against it as against a cluster.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    serve.add_argument("--scenario", choices=SCENARIOS, default="demo")
    serve.add_argument(
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="KEY=N",
        help="scenario parameter, e.g. --param deployments=1000 (scale)",
    )
    serve.add_argument("--kubeconfig-out", type=Path, help="where to write the kubeconfig")
    serve.add_argument("--token", help=f"require this bearer token (or set {TOKEN_ENV})")
    serve.add_argument("--read-only-token", help="a bearer token that may only read")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh CA")
    serve.add_argument("--pod-start-delay", type=float, default=1.0, metavar="SECONDS")
    serve.add_argument(
        "--crash-backoff",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="first back-off of crash-looping containers",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not _is_loopback(args.host):
        print(
            f"kiops-sandbox: refusing to listen on {args.host}: the sandbox is for this "
            "machine only; use a loopback address such as 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    token = args.token or os.environ.get(TOKEN_ENV) or None
    tls = args.tls
    if (token or args.read_only_token) and not tls:
        # kubectl never sends a bearer token over plain http, so a token needs TLS to work.
        print(
            "kiops-sandbox: a token needs HTTPS (kubectl will not send it over http); "
            "serving with --tls.",
            file=sys.stderr,
        )
        tls = True
    sandbox = Sandbox(
        scenario=args.scenario,
        scenario_params=dict(args.param),
        host=args.host,
        port=args.port,
        token=token,
        read_only_token=args.read_only_token,
        tls=tls,
        pod_start_delay=max(0.0, args.pod_start_delay),
        crash_backoff=max(0.1, args.crash_backoff),
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sandbox.start()
    except ScenarioError as exc:
        print(f"kiops-sandbox: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"kiops-sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    try:
        path = args.kubeconfig_out or Path(tempfile.gettempdir()) / (
            f"kiops-sandbox-{sandbox.port}.kubeconfig"
        )
        sandbox.write_kubeconfig(path)
        print(f"url: {sandbox.url}")
        print(f"kubeconfig: {path}")
        print(f"Try: kubectl --kubeconfig {path} get deployments --all-namespaces")
        print("Stop with Ctrl+C.", flush=True)
        stop.wait()
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
