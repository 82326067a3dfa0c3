"""The engine path probe behind host-side volume reads: RFC 3339 times to the nanosecond, the
stat header plus the first tar block -> PathProbe, and blocks split across short chunks."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime

import pytest

from kiops_desktop.runtimes.containers import (
    GO_MODE_DIR,
    TAR_BLOCK,
    first_block,
    parse_path_probe,
    rfc3339_ns,
)

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


def tar_block(kind: bytes = tarfile.DIRTYPE, uid: int = 999, gid: int = 998) -> bytes:
    info = tarfile.TarInfo("data")
    info.type, info.uid, info.gid, info.mode = kind, uid, gid, 0o750
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
    return buf.getvalue()[:TAR_BLOCK]


STAT = {"name": "data", "mode": GO_MODE_DIR | 0o750, "mtime": "2026-11-29T22:42:59.305380415Z"}


def test_probe_of_a_directory() -> None:
    probe = parse_path_probe(STAT, tar_block())
    assert probe is not None
    assert (probe.mtime_ns, probe.is_dir, probe.perm) == (BASE + 305380415, True, 0o750)
    assert (probe.uid, probe.gid) == (999, 998)


def test_probe_without_owners_for_engines_that_rewrite_them() -> None:
    probe = parse_path_probe(STAT, tar_block(), owners=False)
    assert probe is not None
    assert (probe.uid, probe.gid) == (None, None)


@pytest.mark.parametrize(
    ("stat", "block"),
    [
        (None, tar_block()),  # no stat header
        (STAT, b""),  # empty archive
        (STAT, tar_block()[:100]),  # cut short
        (STAT, tar_block(tarfile.REGTYPE)),  # a file, not a directory
        ({**STAT, "mtime": "soon"}, tar_block()),
        ({**STAT, "mode": "x"}, tar_block()),
        (STAT, b"\xff" * TAR_BLOCK),  # not a tar header
    ],
)
def test_probe_is_none_when_the_answer_is_not_a_directory(stat: object, block: bytes) -> None:
    assert parse_path_probe(stat, block) is None  # type: ignore[arg-type]


def test_first_block_joins_short_chunks_and_stops_reading() -> None:
    data = tar_block() + b"rest" * 1000
    pulled: list[int] = []

    def chunks() -> object:
        for i in range(0, len(data), 100):
            pulled.append(i)
            yield data[i : i + 100]

    assert first_block(chunks()) == data[:TAR_BLOCK]  # type: ignore[arg-type]
    assert len(pulled) == 6  # 600 bytes read for a 512-byte block, not the whole stream
