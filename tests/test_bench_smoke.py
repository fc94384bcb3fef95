"""Smoke test of the benchmarks: each runs through its function API at tiny sizes and returns
its documented keys. Never a timing assertion: figures are for humans, on the bench machine."""

from __future__ import annotations

import pytest

pytest.importorskip("aiosmtpd")


def _check(data: dict, *keys: str) -> None:
    for key in ("targets", "params", *keys):
        assert key in data, key
    for t in data["targets"]:
        assert set(t) == {"target", "met", "figure"}


def test_benchmarks_run_at_tiny_sizes(tmp_path):
    from bench import archive, latency, matching_bench, memory, poll, schedule_sim, web_pages

    _check(
        poll.run(feeds=4, out_dir=tmp_path),
        "cold_s",
        "warm_s",
        "parse_floor_s",
        "naive_s",
        "ratio_naive_over_warm",
        "ratio_cold_over_floor",
    )
    _check(
        matching_bench.run(sizes=(2, 12), n_articles=5, out_dir=tmp_path),
        "rows",
        "ratio_throughput_last_over_first",
        "ratio_vs_regex_at_last",
    )
    _check(archive.run(sizes=(300,), out_dir=tmp_path), "rows")
    _check(memory.run(feeds=5, watches=3, out_dir=tmp_path), "peak_rss_mb", "startup_rss_mb")
    _check(latency.run(interval=2.0, trials=1, out_dir=tmp_path), "trials", "latency_max_s")
    _check(
        schedule_sim.run(scale=0.01, out_dir=tmp_path),
        "auto",
        "fixed",
        "ratio_requests_auto_over_fixed",
    )
    _check(web_pages.run(sizes=(300,), out_dir=tmp_path), "rows")
    for name in ("poll", "matching", "archive", "memory", "latency", "schedule_sim", "web"):
        assert (tmp_path / f"{name}.json").exists()


def test_fleet_benchmark_runs_at_tiny_size(tmp_path, pg_server):
    from bench import fleet

    data = fleet.run(feeds=12, hosts=3, latency=0.05, fleets=(1, 2), out_dir=tmp_path)
    _check(data, "rows")
    assert [r["workers"] for r in data["rows"]] == [1, 2]
    for r in data["rows"]:
        assert r["min_requests_per_feed"] == r["max_requests_per_feed"] == 1
        assert r["peak_per_host"] <= 2
