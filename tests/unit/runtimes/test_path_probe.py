"""The engine path probe behind host-side volume reads: RFC 3339 times to the nanosecond and
the engines' base64 JSON stat header -> PathProbe."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kiops_desktop.runtimes.containers import GO_MODE_DIR, parse_path_probe, rfc3339_ns

BASE = int(datetime(2026, 11, 29, 22, 42, 59, tzinfo=UTC).timestamp()) * 1_000_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29T22:42:59.305380415Z", BASE + 305380415),
        ("2026-11-29T22:42:59Z", BASE),
        ("2026-11-29T22:42:59.3Z", BASE + 300000000),  # Go trims trailing zeros
        ("2026-11-29T23:42:59.000000001+01:00", BASE + 1),
        ("2026-11-29T15:42:59.5-07:00", BASE + 500000000),
    ],
)
def test_rfc3339_ns(text: str, expected: int) -> None:
    assert rfc3339_ns(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-11-29 22:42:59Z", "2026-13-40T00:00:00Z"])
def test_rfc3339_ns_rejects_other_shapes(text: str) -> None:
    assert rfc3339_ns(text) is None


def header(stat: Any) -> str:
    return base64.b64encode(json.dumps(stat).encode()).decode()


def test_probe_of_a_directory() -> None:
    # What dockerd 20.10 sent for a volume mounted on /data (mode: os.ModeDir | 0755)
    sent = (
        "eyJuYW1lIjoiZGF0YSIsInNpemUiOjQwOTYsIm1vZGUiOjIxNDc0ODQxNDEsIm10aW1lIjoiMjAyNi0xMS0y"
        "OVQyMjo0MjowMC4xMjNaIiwibGlua1RhcmdldCI6IiJ9"
    )
    probe = parse_path_probe(sent)
    assert probe is not None
    assert (probe.is_dir, probe.perm) == (True, 0o755)
    assert probe.mtime_ns == BASE - 59 * 1_000_000_000 + 123_000_000


def test_probe_of_a_file() -> None:
    probe = parse_path_probe(header({"mode": 0o640, "mtime": "2026-11-29T22:42:59Z"}))
    assert probe is not None
    assert (probe.is_dir, probe.perm, probe.mtime_ns) == (False, 0o640, BASE)


@pytest.mark.parametrize(
    "encoded",
    [
        None,
        "",
        "not base64 at all!",
        header(["a", "list"]),
        header({"mode": GO_MODE_DIR | 0o755, "mtime": "soon"}),
        header({"mode": "x", "mtime": "2026-11-29T22:42:59Z"}),
        header({"mode": GO_MODE_DIR | 0o755}),
    ],
)
def test_probe_is_none_for_a_missing_or_malformed_stat(encoded: str | None) -> None:
    assert parse_path_probe(encoded) is None
