"""The commands on a PostgreSQL archive (`[storage] url`), as a user runs them: `check` names the
backend and its schema version, `once` archives and alerts, `feeds`, `search`, `matches` and
`alerts` read it back; a server that does not answer is one line, exit 2."""

from __future__ import annotations

import json

from test_cli import _site, bot


def _config(tmp_path, server, url: str):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[storage]
url = "${{NEWSBOT_TEST_PG}}"
[http]
allow_private_networks = true
timeout = "2s"
[[feeds]]
name = "Local Wire"
url = "{server.url("/feed.xml")}"
[[watches]]
name = "Aleppo"
keywords = ["Aleppo"]
[notifiers.out]
type = "jsonl"
path = "alerts.jsonl"
""")
    return str(cfg), {"NEWSBOT_TEST_PG": url}


def test_commands_on_postgresql(tmp_path, http_server, pg_url):
    _site(http_server)
    cfg, env = _config(tmp_path, http_server, pg_url)
    r = bot("--config", cfg, "check", env=env)
    assert r.returncode == 0, r.stderr
    assert "archive: PostgreSQL " in r.stdout  # the URL itself is scrubbed: it came from ${ENV}
    assert "schema m0" in r.stdout
    r = bot("--config", cfg, "once", env=env)
    assert r.returncode == 0, r.stderr
    assert "2 new articles" in r.stdout and "2 sent" in r.stdout
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == 2
    r = bot("--config", cfg, "feeds", "--format", "json", env=env)
    (feed,) = json.loads(r.stdout)
    assert feed["articles"] == 2 and feed["held_by"] is None and feed["lease_owner"] is None
    r = bot("--config", cfg, "search", "aleppo", "--format", "json", env=env)
    hits = json.loads(r.stdout)
    assert len(hits) == 2 and "[Aleppo]" in hits[0]["snippet"]
    r = bot("--config", cfg, "matches", "--watch", "Aleppo", "--format", "json", env=env)
    assert {m["watch"] for m in json.loads(r.stdout)} == {"Aleppo"}
    r = bot("--config", cfg, "alerts", "--status", "sent", env=env)
    assert r.returncode == 0 and "Aleppo" in r.stdout
    r = bot("--config", cfg, "once", env=env)  # the second time: nothing new, nothing resent
    assert "0 new articles" in r.stdout and "0 sent" in r.stdout


def test_a_server_that_does_not_answer_is_one_line(tmp_path, http_server):
    _site(http_server)
    cfg, env = _config(tmp_path, http_server, "postgresql://nobody:secret@127.0.0.1:9/nothing")
    r = bot("--config", cfg, "once", env=env, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "cannot connect to PostgreSQL" in r.stderr and "secret" not in r.stderr
