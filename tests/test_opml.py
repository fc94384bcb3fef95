from __future__ import annotations

import tomllib

import pytest

from errors import ConfigError
from feeds.opml import append_feeds, read_opml, write_opml
from settings import FeedSettings


def test_nested_outlines_and_odd_names(tmp_path):
    p = tmp_path / "a.opml"
    p.write_text("""<?xml version="1.0"?><opml version="1.0"><body><outline text="News">
      <outline title='Say "hi" \\ wire' xmlUrl="https://a.example/rss"/>
      <outline text="not a feed" htmlUrl="https://b.example/"/>
      <outline text="ftp" xmlUrl="ftp://c.example/rss"/></outline></body></opml>""")
    feeds = read_opml(p)
    assert feeds == [('Say "hi" \\ wire', "https://a.example/rss")]
    parsed = tomllib.loads(append_feeds("", feeds))
    assert parsed["feeds"][0]["name"] == 'Say "hi" \\ wire'


def test_entities_are_refused(tmp_path):
    p = tmp_path / "bomb.opml"
    p.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>')
    with pytest.raises(ConfigError, match="DTD"):
        read_opml(p)


def test_not_xml_is_a_config_error(tmp_path):
    p = tmp_path / "x.opml"
    p.write_text("<opml><body>")
    with pytest.raises(ConfigError, match="not valid OPML"):
        read_opml(p)


def test_export_escapes_attributes():
    out = write_opml([FeedSettings(url="https://a.example/rss?a=1&b=2", name='A "quoted" <feed>')])
    assert 'xmlUrl="https://a.example/rss?a=1&amp;b=2"' in out and "&lt;feed&gt;" in out


CONFIG = """# newsbot config: the operator's comments must survive an import
[storage]
path = "archive.db"  # next to this file

[[feeds]]
name = "Wire"
url = "https://wire.example/rss"

# the watches come next
[[watches]]
name = "Aleppo"
keywords = ["Aleppo"]
"""


def test_append_keeps_comments_and_puts_feeds_after_the_last_feed():
    out = append_feeds(CONFIG, [("New \u202eone\n", "https://new.example/rss")])
    assert out.startswith(CONFIG.split("# the watches")[0])
    assert "# next to this file" in out
    assert out.index('url = "https://new.example/rss"') < out.index("# the watches come next")
    data = tomllib.loads(out)
    assert [f["url"] for f in data["feeds"]] == [
        "https://wire.example/rss",
        "https://new.example/rss",
    ]
    assert data["watches"][0]["name"] == "Aleppo"


def test_append_to_a_config_without_feeds_and_to_inline_feeds():
    data = tomllib.loads(append_feeds('[storage]\npath = "a.db"\n', [("A", "https://a.example/")]))
    assert data["feeds"] == [{"name": "A", "url": "https://a.example/"}]
    inline = 'feeds = [{name = "B", url = "https://b.example/"}]\n'
    data = tomllib.loads(append_feeds(inline, [("A", "https://a.example/")]))
    assert [f["name"] for f in data["feeds"]] == ["B", "A"]


def test_urls_the_fetcher_refuses_are_skipped(tmp_path):
    p = tmp_path / "odd.opml"
    p.write_text(
        '<opml><body><outline text="x" xmlUrl="http://user:pw@a.example/rss"/>'
        '<outline text="y" xmlUrl="http://a.example/r ss"/>'
        '<outline text="\u202eok" xmlUrl="https://ok.example/rss"/></body></opml>'
    )
    skipped: list[str] = []
    assert read_opml(p, skipped) == [("ok", "https://ok.example/rss")]
    assert len(skipped) == 2


def test_export_drops_characters_xml_cannot_carry():
    import xml.etree.ElementTree as ET

    out = write_opml([FeedSettings(url="https://a.example/rss", name="bad\x0bname\ufffe")])
    assert ET.fromstring(out).find(".//outline").get("text") == "badname"
