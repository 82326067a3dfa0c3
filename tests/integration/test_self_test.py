"""``kiops-desktop --self-test`` from source, as a real process: offscreen, on the embedded demo
sandbox, with the real kubectl and a real Secret Service (gnome-keyring on a private D-Bus bus).
The installers' smoke test (packaging/linux/smoke-test.sh) runs the same check on the frozen app.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.keyring.secret_service import RunningSecretService, start_secret_service

pytestmark = pytest.mark.integration

REPORT_LINES = (
    "self-test (from source,",
    "ok    first paint: ",
    "ok    main window: demo sandbox listed shop/storefront",
    "ok    operations dialog: opened (operationsDialog",
    "ok    history: deployment.apps/storefront with ",
    "ok    console: kubectl version --client exited with code 0",
    "Client Version: v",
    "ok    credential plugin: ",
    "self-test passed in ",
)


@pytest.fixture(scope="module")
def secret_service() -> Iterator[RunningSecretService]:
    root = Path(tempfile.mkdtemp(prefix="kiops-st-", dir="/tmp"))  # short: socket path limit
    service = start_secret_service(root)
    yield service
    service.stop()


def _self_test(
    tmp_path: Path, *args: str, bus: str | None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DBUS_SESSION_BUS_ADDRESS", "KIOPS_HOME", "KUBECONFIG", "DISPLAY")
    }
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if bus is not None:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    return subprocess.run(
        [sys.executable, "-m", "kiops_desktop", "--self-test", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_self_test_passes_with_a_real_keyring(
    tmp_path: Path, secret_service: RunningSecretService
) -> None:
    done = _self_test(tmp_path, bus=secret_service.address)
    assert done.returncode == 0, done.stdout + done.stderr
    for line in REPORT_LINES:
        assert line in done.stdout, f"missing {line!r} in:\n{done.stdout}"
    assert "ok    keyring: keyring.backends.SecretService.Keyring" in done.stdout
    assert "reachable and unlocked" in done.stdout
    assert "(exit 1: no credential, as expected)" in done.stdout
    assert "Traceback" not in done.stderr
    # The self-test keeps its files in a temporary KIOPS_HOME: the user's directories stay empty.
    assert not any((tmp_path / "home").rglob("*kiops*"))


def test_self_test_fails_with_a_sentence_when_no_keyring_answers(tmp_path: Path) -> None:
    done = _self_test(tmp_path, bus=None)
    assert done.returncode == 1, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("self-test failed: no usable keyring: "), done.stdout
    assert "--self-test-allow-no-keyring" in last
    # Everything before the keyring was still checked, in order.
    assert "ok    console: kubectl version --client exited with code 0" in done.stdout


def test_allow_no_keyring_passes_but_still_checks_the_backend_modules(tmp_path: Path) -> None:
    done = _self_test(tmp_path, "--self-test-allow-no-keyring", bus=None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note  keyring: keyring.backends.fail.Keyring: no keyring service" in done.stdout
    assert "keyring.backends.SecretService imports" in done.stdout
    assert "(exit 3: no keyring, as expected)" in done.stdout
    assert "self-test passed" in done.stdout


def test_self_test_gives_up_at_its_timeout(tmp_path: Path) -> None:
    done = _self_test(tmp_path, "--self-test-timeout", "0", bus=None, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "self-test failed: timed out waiting for " in done.stdout
