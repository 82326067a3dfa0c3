"""The HTTP(S) health check used by rollback verification (TLS verification stays on)."""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request

from ..core.verification import HealthResult

USER_AGENT = "kiops-desktop-health-check"


def http_health_check(url: str, timeout: float = 5.0) -> HealthResult:
    """GET ``url``; any answer is a result (the core decides what passes), failures too."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT}, method="GET")
    try:
        with urllib.request.urlopen(
            request, timeout=timeout, context=ssl.create_default_context()
        ) as response:
            status = int(response.status)
            error = None
    except urllib.error.HTTPError as exc:
        status, error = int(exc.code), None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        status, error = None, str(reason)
    return HealthResult(status=status, error=error, elapsed_ms=(time.monotonic() - started) * 1000)
