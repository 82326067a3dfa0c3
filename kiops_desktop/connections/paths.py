"""Where KIOPS Desktop keeps its files: one place, from ``platformdirs``, overridable for tests.

``app_dirs()`` answers the per-user directories (nothing is created here). Set ``KIOPS_HOME`` to
put all of them under one directory (``$KIOPS_HOME/config``, ``/data``, ``/logs``, ``/cache``,
``/state``) - the test suite does that with ``tmp_path``. Without it, the platform's usual places
apply (on Linux the XDG variables are honoured, e.g. ``$XDG_CONFIG_HOME/kiops-desktop``). The
same rules as ``settings.config_dir()`` / ``log_dir()`` / ``data_dir()``, which this generalises.

No secret is ever written below any of these directories: secrets live in the OS keyring.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "kiops-desktop"
APP_AUTHOR = "KIOPS"  # the Windows vendor folder
HOME_ENV = "KIOPS_HOME"


@dataclass(frozen=True)
class AppDirs:
    config: Path  # settings, the app's own kubeconfig, the registry login index
    data: Path  # backups, audit log
    log: Path
    cache: Path
    state: Path  # window geometry and other UI state

    def all(self) -> tuple[Path, ...]:
        return (self.config, self.data, self.log, self.cache, self.state)


def app_dirs(environ: Mapping[str, str] | None = None) -> AppDirs:
    """The app's directories: under ``$KIOPS_HOME`` when set, else the platform's."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return AppDirs(
            root / "config", root / "data", root / "logs", root / "cache", root / "state"
        )
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, APP_AUTHOR)
    return AppDirs(
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        Path(dirs.user_log_dir),
        Path(dirs.user_cache_dir),
        Path(dirs.user_state_dir),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; a directory created here is 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
