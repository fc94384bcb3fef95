"""The running service: wiring (settings -> store, rules, channels), the pipeline (the only
place that knows the order of the stages), the scheduler (the only APScheduler user),
delivery (the outbox -> channels) and backfill (one watch over the archive)."""
