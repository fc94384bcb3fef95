"""`bot.py bench` and `demo`: the benchmarks and the offline demo."""

from __future__ import annotations

import argparse


def cmd_bench(args: argparse.Namespace) -> int:
    from bench.__main__ import main as bench_main

    flags = [*args.names, *(["--quick"] if args.quick else []), *(["--full"] if args.full else [])]
    return bench_main(flags)


def cmd_demo(args: argparse.Namespace) -> int:
    from cli import demo

    return demo.run(args.config, keep_db=args.db)
