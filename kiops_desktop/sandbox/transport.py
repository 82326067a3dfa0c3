"""HTTP(S) transport: a threading HTTP/1.1 server on loopback that authenticates bearer tokens,
applies injected faults, hands requests to ``ApiServer`` and streams watches chunk-encoded."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from .apiserver import ApiServer, Request, Response, json_response
from .errors import ApiError
from .faults import FaultInjector

log = logging.getLogger(__name__)

ADMIN_PATH = "/_kiops/faults"
ADMIN_USER = "sandbox-admin"
VIEWER_USER = "sandbox-viewer"


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        api: ApiServer,
        faults: FaultInjector,
        *,
        token: str | None,
        read_only_token: str | None,
        admin_token: str,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.faults = faults
        self.token = token
        self.read_only_token = read_only_token
        self.admin_token = admin_token
        self.ssl_context = ssl_context

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that fails the TLS handshake or hangs up is not a server error: log it
        quietly instead of printing a traceback to stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, ssl.SSLError | ConnectionError | TimeoutError):
            log.debug("connection from %s ended: %s", client_address, error)
            return
        super().handle_error(request, client_address)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            # The handshake happens in the handler thread (do_handshake_on_connect=False) so a
            # slow or broken client cannot stall the accept loop.
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, addr


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                raise

    def handle(self) -> None:
        with contextlib.suppress(ssl.SSLError, ConnectionError, TimeoutError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    # -- verbs ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # -- plumbing ------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _bearer(self) -> str:
        header = self.headers.get("Authorization", "")
        return header[7:].strip() if header.lower().startswith("bearer ") else ""

    def _dispatch(self) -> None:
        body = self._read_body()
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        if path == ADMIN_PATH:
            self._admin(body)
            return
        server = self.server
        token = self._bearer()
        user, read_only = "system:anonymous", False
        if server.token is not None or server.read_only_token is not None:
            if _same(token, server.token):
                user = ADMIN_USER
            elif _same(token, server.read_only_token):
                user, read_only = VIEWER_USER, True
            else:
                self._send(json_response(401, ApiError(401, "Unauthorized").status()))
                return
        fault = server.faults.match(self.command, path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self._drop()
                return
            if fault.status is not None:
                self._send(
                    json_response(fault.status, ApiError(fault.status, fault.message).status())
                )
                return
        # email.message.Message: a case-insensitive mapping of the request headers.
        headers = cast(Mapping[str, str], self.headers)
        request = Request(self.command, path, query, headers, body, user, read_only)
        try:
            response = server.api.handle(request)
        except Exception:  # a bug must not kill the connection silently: answer 500
            log.exception("sandbox failed on %s %s", self.command, self.path)
            response = json_response(500, ApiError(500, "internal error in the sandbox").status())
        self._send(response)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _admin(self, body: bytes) -> None:
        server = self.server
        if not _same(self._bearer(), server.admin_token):
            self._send(json_response(401, ApiError(401, "Unauthorized").status()))
            return
        if self.command == "GET":
            self._send(json_response(200, {"faults": server.faults.list()}))
        elif self.command == "DELETE":
            server.faults.clear()
            self._send(json_response(200, {"faults": []}))
        elif self.command == "POST":
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("the body must be a JSON object")
                rule = server.faults.add(
                    str(spec.get("method", "*")),
                    str(spec.get("path", ".*")),
                    count=int(spec.get("count", 1)),
                    status=int(spec["status"]) if spec.get("status") is not None else None,
                    delay=float(spec.get("delay", 0.0)),
                    drop=bool(spec.get("drop", False)),
                    message=str(spec.get("message", "injected fault")),
                )
            except (ValueError, TypeError) as exc:
                self._send(json_response(400, ApiError(400, str(exc)).status()))
                return
            self._send(json_response(201, rule.describe()))
        else:
            self._send(json_response(405, ApiError(405, "use GET, POST or DELETE").status()))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in response.headers.items():
            self.send_header(key, value)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        stream = response.stream
        try:
            for chunk in stream:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    # Nothing to say: probe the socket so a vanished client ends the stream.
                    if _peer_closed(self.connection):
                        break
                self.wfile.flush()
            else:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        self.close_connection = True


def _peer_closed(sock: socket.socket) -> bool:
    try:
        if isinstance(sock, ssl.SSLSocket):
            return sock.fileno() < 0
        sock.setblocking(False)
        try:
            data = sock.recv(1, socket.MSG_PEEK)
        finally:
            sock.setblocking(True)
        return data == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def serve_in_thread(server: SandboxHTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.2},
        name="sandbox-http",
        daemon=True,
    )
    thread.start()
    return thread
