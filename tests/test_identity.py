from __future__ import annotations

import pytest

from feeds.identity import (
    article_url,
    choose_mode,
    entry_key,
    landing_links,
    normalize_url,
    own_url,
)
from models import Entry


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("HTTPS://Example.COM/a?utm_source=x&utm_medium=rss", "https://example.com/a"),
        ("http://example.com:80/a#frag", "http://example.com/a"),
        ("https://example.com/a?b=2&a=1&fbclid=zz", "https://example.com/a?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
    ],
    ids=["utm-and-case", "default-port-fragment", "sorted-tracking", "empty-path", "port"],
)
def test_normalize_url(raw, norm):
    assert normalize_url(raw) == norm


def _e(guid, link, title="t"):
    return Entry(guid=guid, link=link, title=title, summary="s", published=None)


def test_mode_steps_down_when_guids_repeat():
    entries = [_e("same", f"http://x/{i}") for i in range(20)]
    assert choose_mode(entries) == "link"
    assert entry_key(entries[0], "link") == "link:http://x/0"


def test_mode_content_when_links_missing():
    entries = [_e(None, None, title=f"t{i}") for i in range(5)]
    assert choose_mode(entries) == "content"
    assert entry_key(entries[0], "content") != entry_key(entries[1], "content")


def test_guid_mode_by_default():
    entries = [_e(f"g{i}", f"http://x/{i}") for i in range(5)]
    assert choose_mode(entries) == "guid"
    assert entry_key(entries[2], "guid") == "guid:g2"


def test_article_url_without_link_is_stable():
    e = _e(None, None)
    assert article_url(e) == article_url(e)
    assert article_url(e).startswith("urn:newsbot:")


def test_landing_links_are_shared_under_other_titles_or_a_sites_root():
    def e(link, title, guid=""):
        return Entry(guid=guid, link=link, title=title, summary="", published=None)

    entries = [
        e("https://x.org/live?utm_source=rss", "Day 1"),
        e("https://x.org/live", "Day 2"),
        e("https://x.org/a/1", "One story"),
        e("https://x.org/a/1#top", "One  story"),  # the same item twice: a link of its own
        e("https://y.org/", "Home"),
    ]
    assert landing_links(entries) == {"https://x.org/live", "https://y.org/"}
    assert own_url(e("https://y.org/", "Home", "https://y.org/p/7")) == "https://y.org/p/7"
    plain = own_url(e("https://y.org/", "Home", "tag:y.org,2026:7"))
    assert plain.startswith("urn:newsbot:") and plain == own_url(
        e("https://y.org/", "Home", "tag:y.org,2026:7")
    )
    assert plain != own_url(e("https://y.org/", "Home", "tag:y.org,2026:8"))
