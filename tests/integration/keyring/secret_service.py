"""A real Secret Service for the tests: gnome-keyring-daemon on a private D-Bus session bus.

``start_secret_service(root)`` starts, as child processes of the test run (their pids are kept,
nothing is looked up by name):

* ``dbus-daemon --nofork`` with a minimal session configuration that listens on
  ``root/run/bus`` and has no service directories, so nothing is D-Bus-activated behind our back
  (not the machine's gnome-keyring, not a GTK unlock prompter);
* ``gnome-keyring-daemon --foreground --components=secrets`` on that bus, with ``HOME`` and the
  XDG directories inside ``root``; with ``unlock=True`` the password goes to its stdin
  (``--unlock``), which creates and unlocks the "login" keyring as a desktop login does. Started
  again on the same ``root`` without it, the login keyring exists but stays locked (its unlock
  prompt cannot be shown: there is no prompter on this bus) and keyring raises
  ``KeyringLocked``.

``stop()`` terminates both (by pid) and removes ``root``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 15.0

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class SecretServiceError(RuntimeError):
    pass


@dataclass
class RunningSecretService:
    root: Path
    address: str  # DBUS_SESSION_BUS_ADDRESS
    env: dict[str, str]  # HOME, XDG_* and the bus address the daemons run with
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def client_env(self) -> dict[str, str]:
        """What a subprocess (kubectl, the exec plugin, secret-tool) needs to reach it."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.address}

    def secret_tool(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run libsecret's ``secret-tool`` against this Secret Service (an outside witness)."""
        return subprocess.run(
            ["secret-tool", *args],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **self.env},
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )

    def stop(self, *, remove: bool = True) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        self.processes.clear()
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)


def _logs(root: Path) -> str:
    texts = []
    for name in ("dbus.log", "gnome-keyring.log"):
        with contextlib.suppress(OSError):
            texts.append(f"--- {name}\n{(root / name).read_text(errors='replace')}")
    return "\n".join(texts)


def _wait_for_service(address: str, timeout: float) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with contextlib.closing(open_dbus_connection(address)) as conn:
                if secretstorage.check_service_availability(conn):
                    return
        except Exception as exc:  # the bus socket may not be there yet
            last = exc
        time.sleep(0.05)
    raise SecretServiceError(f"the Secret Service did not appear on {address}: {last}")


def start_secret_service(
    root: Path, *, unlock: bool = True, keyring: bool = True
) -> RunningSecretService:
    """Start dbus-daemon + gnome-keyring-daemon under ``root`` (a short path: socket names are
    limited to 107 bytes). ``keyring=False``: the bus alone, as on a desktop without any
    Secret Service provider."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            raise SecretServiceError(
                f"{tool} is not installed: run scripts/ensure-system-deps.sh "
                "(apt-get install gnome-keyring dbus-daemon libsecret-tools)."
            )
    dirs = {
        "HOME": root / "home",
        "XDG_DATA_HOME": root / "data",
        "XDG_CONFIG_HOME": root / "config",
        "XDG_CACHE_HOME": root / "cache",
        "XDG_RUNTIME_DIR": root / "run",
    }
    for path in dirs.values():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    socket = dirs["XDG_RUNTIME_DIR"] / "bus"
    config = root / "session.conf"
    config.write_text(_BUS_CONFIG.format(socket=socket))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    env.update({key: str(value) for key, value in dirs.items()})
    service = RunningSecretService(root=root, address="", env=env)
    try:
        with (root / "dbus.log").open("wb") as log:
            bus = subprocess.Popen(
                [
                    "dbus-daemon",
                    f"--config-file={config}",
                    "--nofork",
                    "--nopidfile",
                    "--print-address=1",
                ],
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        service.processes.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        bus.stdout.close()
        if not address:
            raise SecretServiceError(f"dbus-daemon printed no address:\n{_logs(root)}")
        service.address = address
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        if not keyring:
            return service
        args = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        if unlock:
            args.insert(1, "--unlock")
        with (root / "gnome-keyring.log").open("wb") as log:
            keyring_proc = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=log, stderr=log, env=env
            )
        service.processes.append(keyring_proc)
        assert keyring_proc.stdin is not None
        if unlock:
            keyring_proc.stdin.write(secrets.token_urlsafe(16).encode())
        keyring_proc.stdin.close()
        _wait_for_service(address, START_TIMEOUT)
    except BaseException:
        logs = _logs(root)
        service.stop()
        if logs:
            print(logs)
        raise
    return service
