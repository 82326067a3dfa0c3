"""The redactor: registered secrets and secret-looking patterns masked everywhere; the logging
filter redacts messages, arguments and tracebacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from kiops_desktop.connections import redact
from kiops_desktop.connections.redact import MASK

SECRET = "s3cr3t-Value-42"


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    redact.forget_all_secrets()
    yield
    redact.forget_all_secrets()


def test_registered_secrets_are_masked_wherever_they_appear() -> None:
    assert redact.redact(f"x{SECRET}y") == f"x{SECRET}y"
    redact.register_secret(SECRET)
    assert redact.is_known_secret(SECRET)
    assert redact.redact(f"x{SECRET}y and again {SECRET}") == f"x{MASK}y and again {MASK}"
    redact.forget_secret(SECRET)
    assert redact.redact(SECRET) == SECRET


def test_longer_secrets_first_so_no_part_leaks() -> None:
    redact.register_secret("abcd")
    redact.register_secret("abcd-efgh-ijkl")
    assert redact.redact("[abcd-efgh-ijkl]") == f"[{MASK}]"


def test_short_and_empty_secrets_are_not_registered() -> None:
    for value in ("", None, "abc"):
        redact.register_secret(value)
    assert redact.redact("abc abc") == "abc abc"


def test_extra_secrets_without_registering() -> None:
    assert redact.redact(f"a {SECRET}", extra=[SECRET]) == f"a {MASK}"
    assert not redact.is_known_secret(SECRET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def", f"Authorization: Bearer {MASK}"),
        ("authorization: Basic ZGVwbG95ZXI6cHc=", f"authorization: Basic {MASK}"),
        ("Proxy-Authorization: Basic ZGVwbG95ZXI6cHc=", f"Proxy-Authorization: Basic {MASK}"),
        ("curl -H 'Authorization: Bearer abcdefgh12'", f"curl -H 'Authorization: Bearer {MASK}'"),
        ("sent bearer abcdefgh12345678 to x", f"sent bearer {MASK} to x"),
        (
            "https://h/login?user=a&password=hunter22&x=1",
            f"https://h/login?user=a&password={MASK}&x=1",
        ),
        ("token: abc.def.ghi", f"token: {MASK}"),
        ('{"password": "p w d", "user": "a"}', f'{{"password": {MASK}, "user": "a"}}'),
        ("client-key-data: LS0tLS1CRUdJTg==", f"client-key-data: {MASK}"),
        ("id-token=xyz refresh_token=uvw", f"id-token={MASK} refresh_token={MASK}"),
        ("kubectl get pods --token=abc123 -n x", f"kubectl get pods --token={MASK} -n x"),
        ("docker login --password hunter22 h", f"docker login --password {MASK} h"),
        (
            '{"auths": {"h": {"auth": "ZGVwbG95ZXI6cHc="}}}',
            f'{{"auths": {{"h": {{"auth": "{MASK}"}}}}}}',
        ),
        (
            "https://deployer:hunter22@registry.example.com/v2/",
            f"https://deployer:{MASK}@registry.example.com/v2/",
        ),
        ("api_key=abcd secret=efgh", f"api_key={MASK} secret={MASK}"),
    ],
)
def test_patterns(text: str, expected: str) -> None:
    assert redact.redact(text) == expected
    assert redact.redact(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "tokenFile: /var/run/secrets/token",  # a path to a secret, not the secret
        "3 tokens used",
        "kubectl rollout undo deployment/nginx --to-revision=2",
        "Bearer",
        "https://registry.example.com:5000/v2/",
        "password",
        "",
    ],
)
def test_innocent_text_is_left_alone(text: str) -> None:
    assert redact.redact(text) == text


def test_log_filter_redacts_message_args_and_traceback() -> None:
    redact.register_secret(SECRET)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    filt = redact.install_log_redaction(handler)
    assert redact.install_log_redaction(handler) is filt  # once per handler
    logger = logging.getLogger("tests.redact")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("login with %s", SECRET)
        logger.info("header Authorization: Bearer %s", "abcdefgh12345678")
        try:
            raise RuntimeError(f"failed with password={SECRET}x")
        except RuntimeError:
            logger.exception("boom")
        logger.info("bad format %s %s", "one")  # a broken record is still redacted, not lost
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert SECRET not in out
    assert "abcdefgh12345678" not in out
    assert f"INFO login with {MASK}" in out
    assert f"Authorization: Bearer {MASK}" in out
    assert "RuntimeError: failed with password=" in out
    assert "bad format" in out
