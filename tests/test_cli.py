"""bot.py as a user runs it: real subprocesses, a real local site, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedfactory import page, rss
from httpserver import Reply

ROOT = Path(__file__).resolve().parent.parent
STORY = [
    "Officials from three agencies met on Monday to agree the route of the relief convoy.",
    "Drivers waited for two days at the last checkpoint before the road was declared safe.",
    "The convoy reached Aleppo late on Tuesday, witnesses said, and unloading began at dawn.",
]


def bot(*args, cwd=None, timeout=120, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _site(server, n=2):
    items = [(f"g{i}", f"Story {i}", server.url(f"/s/{i}.html"), "teaser") for i in range(n)]
    server.route("/feed.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    for i in range(n):
        server.route(
            f"/s/{i}.html", Reply(200, page(f"Story {i}", STORY), {"Content-Type": "text/html"})
        )


def _config(tmp_path, server, extra=""):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[storage]
path = "archive.db"
[http]
allow_private_networks = true
timeout = "2s"
[polling]
tick = "1s"
[[feeds]]
name = "Local Wire"
url = "{server.url("/feed.xml")}"
[[watches]]
name = "Aleppo"
keywords = ["Aleppo"]
[notifiers.out]
type = "jsonl"
path = "alerts.jsonl"
{extra}""")
    return cfg


def test_check_shipped_config_explains_watches():
    r = bot("--config", str(ROOT / "config.toml"), "check")
    assert r.returncode == 0, r.stderr
    assert "geonames:170063" in r.stdout and "geonames:163808" in r.stdout
    assert "config OK" in r.stdout


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[feeds]]\nurl = "http://x/f"\ninterval = "15 minutes"\n')
    r = bot("--config", str(cfg), "check")
    assert r.returncode == 2
    assert "feeds[0].interval: '15 minutes' is not a duration like 15m, 1h" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_missing_config_file(tmp_path):
    r = bot("--config", str(tmp_path / "nope.toml"), "once")
    assert r.returncode == 2 and "cannot read config" in r.stderr


def test_once_feeds_search_matches_alerts(tmp_path, http_server):
    _site(http_server)
    cfg = str(_config(tmp_path, http_server))
    r = bot("--config", cfg, "once")
    assert r.returncode == 0, r.stderr
    assert "2 new articles" in r.stdout and "2 sent" in r.stdout
    assert "feed='Local Wire'" in r.stderr  # one log line per poll, naming the feed
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert len(lines) == 2
    r = bot("--config", cfg, "feeds", "--format", "json")
    (feed,) = json.loads(r.stdout)
    assert (
        feed["name"] == "Local Wire" and feed["articles"] == 2 and feed["consecutive_errors"] == 0
    )
    r = bot("--config", cfg, "search", "aleppo", "--format", "json")
    hits = json.loads(r.stdout)
    assert len(hits) == 2 and "[Aleppo]" in hits[0]["snippet"]
    r = bot("--config", cfg, "search", "aleppo", "--format", "csv")
    assert r.stdout.splitlines()[0].startswith("id,title")
    r = bot("--config", cfg, "matches", "--watch", "Aleppo", "--format", "json")
    assert {m["watch"] for m in json.loads(r.stdout)} == {"Aleppo"}
    r = bot("--config", cfg, "alerts", "--status", "sent")
    assert r.returncode == 0 and "Aleppo" in r.stdout


def test_a_feed_whose_items_all_link_its_home_page_alerts_each_item(tmp_path, http_server):
    """A press office's feed links every item to its home page: three statements are three
    articles (they were one, and two statements were never seen), each matched on what it
    says, not on the home page (whose Aleppo headlines would fire the watch on all three)."""
    home = http_server.url("/")
    http_server.route("/", Reply(200, page("Ministry", STORY), {"Content-Type": "text/html"}))
    titles = [
        "Ministry statement on water supply in eastern districts",
        "Ministry statement on the curfew in Aleppo's old city",
        "Ministry statement on schools reopening after repairs",
    ]
    items = [(f"statement-{i}", t, home, f"Statement {i}.") for i, t in enumerate(titles)]
    http_server.route("/feed.xml", Reply(200, rss(items), {"Content-Type": "application/rss+xml"}))
    cfg = str(_config(tmp_path, http_server))
    r = bot("--config", cfg, "once")
    assert r.returncode == 0, r.stderr
    assert "3 new articles" in r.stdout
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [(x["title"], x["url"]) for x in lines] == [(titles[1], home)]
    assert bot("--config", cfg, "once").returncode == 0  # the next poll: nothing new
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 1


def _breaking_story(tmp_path, http_server):
    """A feed whose one item, a developing story, is edited: (publish(title) -> the feed's
    body, the config, the jsonl alerts)."""
    calm = ["Rescue teams worked through the night.", "Officials gave no figures yet."]
    http_server.route("/s/1.html", Reply(200, page("Blast", calm), {"Content-Type": "text/html"}))
    link = http_server.url("/s/1.html")

    def publish(title):
        body = rss([("blast-1", title, link, "Developing story.")])
        http_server.route("/feed.xml", Reply(200, body, {"Content-Type": "application/rss+xml"}))
        return body

    return publish, str(_config(tmp_path, http_server)), tmp_path / "alerts.jsonl"


def test_an_edited_headline_that_now_names_the_place_alerts(tmp_path, http_server):
    """Breaking news is published vague and edited as facts come in, under the same guid and
    link: the edit that names Aleppo fires the watch once (it was never matched again)."""
    feed, cfg, out = _breaking_story(tmp_path, http_server)
    feed("Blast reported in northern Syria")
    assert bot("--config", cfg, "once").returncode == 0
    assert not out.exists() or out.read_text() == ""
    feed("Blast in Aleppo kills 12, officials say")
    r = bot("--config", cfg, "once")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["title"] for x in lines] == ["Blast in Aleppo kills 12, officials say"]
    feed("Blast in Aleppo kills 14, officials say")  # a later edit: the same alert, no other
    assert bot("--config", cfg, "once").returncode == 0
    assert len(out.read_text().splitlines()) == 1


def test_an_edit_saved_by_a_cycle_that_crashed_still_alerts(tmp_path, http_server):
    """A worker saved an edited headline and was killed before matching it again: the next
    cycle sees nothing new in the feed (the edit is archived), yet the watch it now fires
    alerts, once."""
    from feeds.parse import parse_bytes
    from storage import Store

    feed, cfg, out = _breaking_story(tmp_path, http_server)
    feed("Blast reported in northern Syria")
    assert bot("--config", cfg, "once").returncode == 0
    edited = feed("Blast in Aleppo kills 12, officials say")
    store = Store.open(tmp_path / "archive.db")  # what the killed worker wrote, and no more
    try:
        entries = parse_bytes(edited).entries
        store.save_entries(store.feed("Local Wire"), entries, "guid", datetime.now(UTC))
    finally:
        store.close()
    r = bot("--config", cfg, "once")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["title"] for x in lines] == ["Blast in Aleppo kills 12, officials say"]
    assert bot("--config", cfg, "once").returncode == 0
    assert len(out.read_text().splitlines()) == 1


def test_the_same_headline_over_a_page_naming_the_place_alerts(tmp_path, http_server):
    """Two outlets run one headline (6+ words: a copy, folded unseen); only the second's page
    names Aleppo. Its alert was lost with the fold: now it alerts, once, and the two are
    still one story."""
    title = "Convoy reaches besieged district after nine days of waiting"
    calm = ["The trucks crossed the last checkpoint at dawn.", "Residents queued for bread."]
    named = [*calm, "Aid workers said the district of Aleppo had been cut off since March."]
    for path, text in (("/a.html", calm), ("/b.html", named)):
        http_server.route(path, Reply(200, page(title, text), {"Content-Type": "text/html"}))
    for path, item in (("/feed.xml", "a"), ("/feed2.xml", "b")):
        body = rss([(item, title, http_server.url(f"/{item}.html"), "Aid arrives.")])
        http_server.route(path, Reply(200, body, {"Content-Type": "application/rss+xml"}))
    extra = f'[[feeds]]\nname = "Second Desk"\nurl = "{http_server.url("/feed2.xml")}"\n'
    cfg = str(_config(tmp_path, http_server, extra))
    r = bot("--config", cfg, "once")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [x["url"] for x in lines] == [http_server.url("/b.html")]
    listed = json.loads(bot("--config", cfg, "stories", "--format", "json").stdout)
    assert [len(s["articles"]) for s in listed] == [2]


def test_search_bad_query_is_a_clean_error(tmp_path, http_server):
    _site(http_server, 1)
    cfg = str(_config(tmp_path, http_server))
    bot("--config", cfg, "once")
    r = bot("--config", cfg, "search", '"unbalanced AND (')
    assert r.returncode != 0 and "position" in r.stderr and "Traceback" not in r.stderr


def test_feeds_failing_gives_a_hint(tmp_path, http_server):
    http_server.route("/feed.xml", Reply(403, b"forbidden"))
    cfg = str(_config(tmp_path, http_server))
    bot("--config", cfg, "once")
    r = bot("--config", cfg, "feeds", "--failing")
    assert r.returncode == 0
    assert "Local Wire" in r.stdout and "user_agent" in r.stdout
    assert r.stdout.count("hint") == 1 and r.stdout.count("user_agent") == 1  # one hint, once
    r = bot("--config", cfg, "feeds", "--failing", "--format", "json")
    (feed,) = json.loads(r.stdout)
    assert (feed["last_http_status"], feed["last_error_kind"]) == (403, "http")
    assert "user_agent" in feed["hint"] and "hint" not in feed["last_error"]
    assert feed["failing_since"].endswith("Z") and feed["next_check_at"] > feed["failing_since"]


def test_opml_roundtrip(tmp_path, http_server):
    cfg = _config(tmp_path, http_server)
    opml = tmp_path / "subs.opml"
    opml.write_text("""<?xml version="1.0"?><opml version="2.0"><body>
      <outline text="World"><outline text="Levant Wire" type="rss" xmlUrl="https://lw.example/rss"/>
      <outline text="Local Wire" type="rss" xmlUrl="https://other.example/rss"/></outline>
    </body></opml>""")
    r = bot("--config", str(cfg), "import-opml", str(opml))
    assert r.returncode == 0 and "imported 2 feeds" in r.stdout
    r = bot("--config", str(cfg), "export-opml")
    assert 'xmlUrl="https://lw.example/rss"' in r.stdout and "Local Wire (2)" in r.stdout
    assert bot("--config", str(cfg), "check").returncode == 0


def test_watches_test_explains(tmp_path, http_server):
    cfg = str(_config(tmp_path, http_server))
    r = bot("--config", cfg, "watches", "test", "Shelling hit eastern Aleppo overnight.")
    assert r.returncode == 0 and "Aleppo: FIRES" in r.stdout and "keyword 'Aleppo'" in r.stdout
    r = bot("--config", cfg, "watches", "test", "Nothing to see here.")
    assert "no watch fires" in r.stdout
    r = bot(
        "--config", str(ROOT / "config.toml"), "watches", "test", "The Palmyra, N.Y., board met."
    )
    assert "place Palmyra -> Palmyra, US-NY: the qualifier after it names its region" in r.stdout
    assert "no evidence for Tadmur, SY" in r.stdout


def test_notify_test_reports_the_answer(tmp_path, http_server):
    http_server.route("/hook", Reply(503, b"down"))
    extra = f'[notifiers.hook]\ntype = "webhook"\nurl = "{http_server.url("/hook")}"\n'
    cfg = str(_config(tmp_path, http_server, extra))
    r = bot("--config", cfg, "notify", "test", "out")
    assert r.returncode == 0 and "accepted" in r.stdout
    assert (tmp_path / "alerts.jsonl").exists()
    r = bot("--config", cfg, "notify", "test", "hook")
    assert r.returncode == 1 and "FAILED" in r.stdout and "503" in r.stdout


def test_run_service_polls_and_stops_cleanly_on_sigterm(tmp_path, http_server):
    _site(http_server)
    cfg = str(_config(tmp_path, http_server))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "--config", cfg, "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        out = tmp_path / "alerts.jsonl"
        while time.monotonic() < deadline:
            if out.exists() and len(out.read_text().splitlines()) == 2:
                break
            time.sleep(0.2)
        assert out.exists() and len(out.read_text().splitlines()) == 2
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert time.monotonic() - started < 10
        assert "stopped" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.skipif(not (ROOT / "examples" / "site").is_dir(), reason="no sample site")
def test_demo_shows_the_bot_at_work(tmp_path):
    r = bot("--config", str(ROOT / "config.toml"), "demo", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "[Syria hotspots] Aid convoy crosses front line" in out  # Aleppo deep in the body
    assert "[Syria hotspots] Families return to Tadmur" in out  # the alias
    assert "(location: Aleppo, SY)" in out and "حلب" in out  # Arabic
    assert "[Atrocities] Forensic teams begin exhuming mass grave" in out
    assert "[Syria hotspots] Palmyra village board" not in out  # Palmyra, N.Y.
    assert "'Palmyra' does not count: Palmyra -> Palmyra, US-NY" in out  # ... and says why
    assert "Aleppo pepper" not in out.split("Archived without an alert")[0]
    assert "[Syria hotspots] Amman households" not in out  # only the rail named Aleppo
    assert out.count("[Syria hotspots] Deminers clear paths") == 1  # syndicated twice
    assert "bot.py search" in out and "What next" in out
    # one story, two outlets in two languages: one alert, the later report recorded on it
    alerts, epilogue = out.split("Archived without an alert")
    assert "[Syria hotspots] قافلة مساعدات" not in alerts
    convoy_ar = epilogue.split("قافلة مساعدات", 1)[1].split("\n")[1]
    assert "another report of a story already alerted (Syria hotspots)" in convoy_ar
    several = epilogue.split("One story, several reports")[1].split("\n\n")[0]
    assert "Levant Wire: Aid convoy" in several and "Levant Wire Arabic: قافلة" in several
    by_place = epilogue.split("bot.py search place:Aleppo")[1].split("What next")[0]
    assert "أسواق حلب" in by_place and "Aleppo pepper" not in by_place  # any script, no pepper
    assert list(tmp_path.iterdir()) == []  # nothing written outside the temp folder


def test_watches_backfill_records_without_alerting(tmp_path, http_server):
    _site(http_server)
    cfg = _config(tmp_path, http_server)
    bot("--config", str(cfg), "once")
    cfg.write_text(cfg.read_text() + '\n[[watches]]\nname = "Convoys"\nkeywords = ["convoy"]\n')
    r = bot("--config", str(cfg), "watches", "backfill", "Convoys", "--since", "3650d")
    assert r.returncode == 0, r.stderr
    assert "scanned 2 articles, 2 matched, 0 alerts queued" in r.stdout
    r = bot("--config", str(cfg), "matches", "--watch", "Convoys", "--format", "json")
    assert len(json.loads(r.stdout)) == 2
    r = bot("--config", str(cfg), "watches", "backfill", "Convoys", "--alert")
    assert "2 alerts queued" in r.stdout
    r = bot("--config", str(cfg), "watches", "backfill", "Nope")
    assert r.returncode == 2 and "no watch named 'Nope'" in r.stderr


def test_check_says_default_interval_is_ignored(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[polling]\ndefault_interval = "10m"\n')
    r = bot("--config", str(cfg), "check")
    assert r.returncode == 0 and "default_interval is deprecated and ignored" in r.stdout
    cfg.write_text("[polling]\n")
    assert "default_interval" not in bot("--config", str(cfg), "check").stdout


@pytest.mark.parametrize(
    ("watch", "message"),
    [
        ('locations = ["Atlantisville, ZZ"]', "location 'Atlantisville, ZZ'"),
        ('query = "a AND (b"', "position 8"),
    ],
    ids=["unknown-place", "bad-query"],
)
def test_a_watch_that_cannot_work_is_a_config_error(tmp_path, watch, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[watches]]\nname = "w"\n{watch}\n')
    r = bot("--config", str(cfg), "check")
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
