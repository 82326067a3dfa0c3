"""The official ``kubernetes`` client, used the way KIOPS Desktop needs it.

- One ApiClient per kubeconfig context, created lazily (the client library handles exec
  credential plugins, client certificates, CA files and tokens — nothing is reinvented here).
- Responses are read as raw JSON (``_preload_content=False``): the pure core works on the
  objects exactly as the API serves them, and skipping model deserialisation is what lets a
  5,000-deployment list come back faster than ``kubectl get -o json``.
- Every failure becomes one typed ``OperationError`` with a sentence; reads are retried with
  back-off on transient failures, writes never are.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .errors import (
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    NotFound,
    OperationError,
    ServerError,
    TimedOut,
    TlsFailure,
    Unauthorized,
    Unreachable,
)

T = TypeVar("T")
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
READ_RETRIES = (0.2, 0.6, 1.5)  # back-off between attempts of an idempotent read

_FORBIDDEN = re.compile(r'cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?')


class KubeClient:
    """Lazily built API objects for one context of one (possibly merged) kubeconfig."""

    def __init__(
        self, config_file: str, context: str, *, read_timeout: float = READ_TIMEOUT
    ) -> None:
        self.config_file = config_file
        self.context = context
        self.read_timeout = read_timeout
        self._lock = threading.Lock()
        self._api_client: Any = None
        self.server = ""

    def api_client(self) -> Any:
        with self._lock:
            if self._api_client is None:
                self._api_client = self._build()
            return self._api_client

    def _build(self) -> Any:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        configuration = client.Configuration()
        try:
            config.load_kube_config(
                config_file=self.config_file,
                context=self.context,
                client_configuration=configuration,
                persist_config=False,
            )
        except ConfigException as exc:
            raise OperationError(
                f'Cannot use context "{self.context}" from {self.config_file}: {exc}'
            ) from exc
        except OSError as exc:
            raise OperationError(f"Cannot read the kubeconfig {self.config_file}: {exc}") from exc
        # Retries are ours (reads only); urllib3 must not silently resend a write.
        configuration.retries = False
        self.server = str(configuration.host)
        return client.ApiClient(configuration)

    def apps(self) -> Any:
        from kubernetes import client

        return client.AppsV1Api(self.api_client())

    def core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client())

    def batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api_client())

    def close(self) -> None:
        with self._lock:
            if self._api_client is not None:
                self._api_client.close()
                self._api_client = None

    # -- calls ---------------------------------------------------------------------------
    def read_json(self, call: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
        """An idempotent read, retried with back-off on transient failures; parsed JSON."""
        attempt = 0
        while True:
            try:
                return self._call_json(call, args, kwargs)
            except Exception as exc:
                error = translate(exc, what=what, server=self.server)
                if not error.retryable or attempt >= len(READ_RETRIES):
                    raise error from exc
                time.sleep(READ_RETRIES[attempt])
                attempt += 1

    def write_json(self, call: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
        """A write: sent once. A failure is reported, never retried behind the user's back."""
        try:
            return self._call_json(call, args, kwargs)
        except Exception as exc:
            raise translate(exc, what=what, server=self.server) from exc

    def _call_json(
        self, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        response = call(
            *args,
            _preload_content=False,
            _request_timeout=(CONNECT_TIMEOUT, self.read_timeout),
            **kwargs,
        )
        return json.loads(response.data)

    def stream(
        self, call: Callable[..., Any], *args: Any, what: str, read_timeout: float, **kwargs: Any
    ) -> Any:
        """A streaming response (watch, log follow); the caller iterates and closes it."""
        try:
            return call(
                *args,
                _preload_content=False,
                _request_timeout=(CONNECT_TIMEOUT, read_timeout),
                **kwargs,
            )
        except Exception as exc:
            raise translate(exc, what=what, server=self.server) from exc


def iter_lines(response: Any) -> Iterator[bytes]:
    """Lines of a streaming response as they arrive (watch events, followed logs)."""
    pending = b""
    chunks = (
        response.read_chunked(decode_content=True)
        if getattr(response, "chunked", False)
        else response.stream(4096, decode_content=True)
    )
    for chunk in chunks:
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line
    if pending:
        yield pending


def abort(response: Any) -> None:
    """End a streaming response from another thread, now.

    ``close()`` alone does not wake a thread blocked in ``recv`` on a TLS socket; shutting the
    socket down does.
    """
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):  # already closed is fine
        response.close()


def _status_message(body: Any) -> tuple[str, str]:
    try:
        data = json.loads(body) if body else {}
    except (ValueError, TypeError):
        return (str(body or "")[:300], "")
    if isinstance(data, dict):
        return (str(data.get("message") or ""), str(data.get("reason") or ""))
    return ("", "")


def translate(exc: BaseException, *, what: str, server: str = "") -> OperationError:
    """One typed error with a sentence for any failure of a call about ``what``."""
    if isinstance(exc, OperationError):
        return exc
    from kubernetes.client.exceptions import ApiException
    from urllib3 import exceptions as u3

    where = f" at {server}" if server else ""
    if isinstance(exc, ApiException) and not exc.status:
        # kubernetes >= 35 wraps transport failures (TLS, refused) as ApiException(status=0).
        text = f"{exc.reason} {exc.body or ''}"
        if "SSL" in text or "CERTIFICATE" in text:
            return TlsFailure(
                f"TLS verification of the API server{where} failed: {_short(exc.body or text)}",
                hint="Check the cluster's certificate-authority in the kubeconfig.",
            )
        return Unreachable(f"The connection to the API server{where} failed: {_short(text)}")
    if isinstance(exc, ApiException):
        message, reason = _status_message(exc.body)
        status = int(exc.status or 0)
        if status == 401:
            return Unauthorized(
                f"The API server{where} rejected the credentials (401 Unauthorized) while "
                f"reading or changing {what}.",
                hint="Log in again or refresh the token for this context.",
            )
        if status == 403:
            match = _FORBIDDEN.search(message)
            if match:
                verb, resource, group = match.group(1), match.group(2), match.group(3) or ""
                qualified = f"{resource}.{group}" if group else resource
                return Forbidden(
                    f"You are not allowed to {verb} {qualified} ({what}): {message}",
                    hint="Ask for that permission, or use a context that has it.",
                )
            return Forbidden(f"Access to {what} was refused (403 Forbidden): {message}")
        if status == 404:
            return NotFound(f"{what} was not found: {message or 'it no longer exists'}.")
        if status == 409:
            return Conflict(
                f"{what} changed since you looked ({message or 'conflict'}).",
                hint="Reload and try again.",
            )
        if status == 422:
            return Invalid(f"The API server refused the change to {what}: {message}")
        if status == 410:
            return Expired(f"The watch on {what} expired: {message}")
        if status == 429 or status >= 500:
            detail = f": {message}" if message else ""
            return ServerError(
                f"The API server{where} answered {status} {reason or exc.reason} for "
                f"{what}{detail}."
            )
        return OperationError(f"The API server answered {status} for {what}: {message}")
    if isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        return translate(exc.reason, what=what, server=server)
    if isinstance(exc, u3.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return TlsFailure(
            f"TLS verification of the API server{where} failed: {_short(exc)}",
            hint="Check the cluster's certificate-authority in the kubeconfig.",
        )
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(exc, u3.NewConnectionError | ConnectionRefusedError):
        return Unreachable(
            f"Cannot reach the API server{where}: the connection was refused.",
            hint="Is the cluster running, and is the server address right?",
        )
    if isinstance(exc, u3.ConnectTimeoutError | u3.ReadTimeoutError | TimeoutError):
        return TimedOut(f"The API server{where} did not answer in time while reading {what}.")
    if isinstance(exc, u3.ProtocolError | ConnectionError | u3.HTTPError | OSError):
        return Unreachable(f"The connection to the API server{where} failed: {_short(exc)}")
    return OperationError(f"Unexpected failure while working on {what}: {_short(exc)}")


def _short(exc: BaseException | str) -> str:
    text = str(exc)
    return text if len(text) <= 240 else text[:237] + "..."
