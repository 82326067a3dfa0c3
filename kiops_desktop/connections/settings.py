"""Preferences: a typed, versioned schema in a JSON file under the app's config dir.

Window state (geometry, splitters, columns, last context) is not a preference and lives in
QSettings in the UI; this file holds what an operator chooses on purpose.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..core.services import DEFAULT_PRODUCTION_PATTERNS
from .paths import app_dirs

SCHEMA_VERSION = 1


def config_dir() -> Path:
    """The app's config dir (``KIOPS_HOME`` moves every app dir: tests, portable installs)."""
    return app_dirs().config


def log_dir() -> Path:
    return app_dirs().log


def data_dir() -> Path:
    return app_dirs().data


@dataclass
class Settings:
    production_patterns: list[str] = field(
        default_factory=lambda: list(DEFAULT_PRODUCTION_PATTERNS)
    )
    # "bundled" (the tested kubectl shipped with the app), "path" (kubectl on PATH) or a file.
    kubectl: str = "bundled"
    auto_backup: bool = True
    keep_backups: int = 10
    # Back up a local rootful engine's volumes with tar on this machine (2-3x faster than the
    # engine's archive API, and Podman's API records every file as root's); only when the
    # directory provably is the engine's (runtimes.host_volumes), else through the API.
    backup_read_on_host: bool = True
    rollout_timeout_s: int = 600
    console_output_cap_lines: int = 20000
    # Secrets in a plaintext file keyring (keyrings.alt) instead of the OS keyring: only when the
    # operator turns it on here, and then every place that shows credentials warns about it.
    file_keyring: bool = False
    version: int = SCHEMA_VERSION


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    # Version 0 (never shipped) had no version key; nothing to convert yet. Future migrations
    # go here, one step per version, so an old file is read rather than reset.
    raw.setdefault("version", SCHEMA_VERSION)
    return raw


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_dir() / "settings.json"
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    raw = _migrate(raw)
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in raw.items() if k in known}
    defaults = Settings()
    for key, value in list(values.items()):
        # A hand-edited file with a wrong type falls back to the default for that key only.
        if not isinstance(value, type(getattr(defaults, key))):
            del values[key]
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    path = path or config_dir() / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2) + "\n", "utf-8")
    os.replace(tmp, path)
