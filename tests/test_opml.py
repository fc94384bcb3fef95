from __future__ import annotations

import tomllib

import pytest

from errors import ConfigError
from feeds.opml import read_opml, toml_feeds, write_opml
from settings import FeedSettings


def test_nested_outlines_and_odd_names(tmp_path):
    p = tmp_path / "a.opml"
    p.write_text("""<?xml version="1.0"?><opml version="1.0"><body><outline text="News">
      <outline title='Say "hi" \\ wire' xmlUrl="https://a.example/rss"/>
      <outline text="not a feed" htmlUrl="https://b.example/"/>
      <outline text="ftp" xmlUrl="ftp://c.example/rss"/></outline></body></opml>""")
    feeds = read_opml(p)
    assert feeds == [('Say "hi" \\ wire', "https://a.example/rss")]
    parsed = tomllib.loads(toml_feeds(feeds))
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
