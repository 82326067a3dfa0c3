"""List chunking: pages in key order, tokens that resume after the last key, bad tokens."""

from __future__ import annotations

import pytest

from kiops_desktop.sandbox.errors import ApiError
from kiops_desktop.sandbox.paging import decode_token, encode_token, paginate


def obj(namespace: str, name: str) -> dict:
    return {"metadata": {"namespace": namespace, "name": name}}


ITEMS = [obj("b", "x"), obj("a", "z"), obj("a", "y"), obj("c", "w"), obj("b", "v")]


def names(items: list[dict]) -> list[str]:
    return [f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in items]


def test_without_limit_everything_in_key_order() -> None:
    page = paginate(ITEMS, 7, "", "")
    assert names(page.items) == ["a/y", "a/z", "b/v", "b/x", "c/w"]
    assert page.continue_token == ""
    assert page.remaining is None


def test_pages_walk_the_list_once() -> None:
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = paginate(ITEMS, 7, "2", token)
        pages += 1
        seen += names(page.items)
        assert page.resource_version == 7
        token = page.continue_token
        if not token:
            break
        assert page.remaining == 5 - len(seen)
    assert pages == 3
    assert seen == ["a/y", "a/z", "b/v", "b/x", "c/w"]


def test_a_token_keeps_the_list_resource_version() -> None:
    first = paginate(ITEMS, 7, "2", "")
    later = paginate([*ITEMS, obj("d", "new")], 9, "2", first.continue_token)
    assert later.resource_version == 7
    assert decode_token(encode_token(12, "ns/name")) == (12, "ns/name")


@pytest.mark.parametrize("token", ["garbage!", "e30", encode_token(1, "x")[:-3]])
def test_bad_tokens_are_a_400(token: str) -> None:
    with pytest.raises(ApiError) as caught:
        paginate(ITEMS, 7, "2", token)
    assert caught.value.code == 400


def test_bad_limit_is_a_400() -> None:
    with pytest.raises(ApiError):
        paginate(ITEMS, 7, "many", "")
