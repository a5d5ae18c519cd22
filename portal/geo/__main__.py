"""`python -m portal.geo build [DIR]`: build the canton index ahead of time (e.g. at deploy), so
that no worker builds it on its first request."""

from __future__ import annotations

import argparse
import time

from .index import build_index, default_cache_directory


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: a deploy step, and a way to check the cache by hand."""
    parser = argparse.ArgumentParser(prog="python -m portal.geo")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the Region's canton index")
    build.add_argument(
        "directory",
        nargs="?",
        help=f"cache folder, e.g. the app's instance/ (default: {default_cache_directory()})",
    )
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    path = build_index(arguments.directory)
    elapsed = time.perf_counter() - started
    print(f"{path} ({path.stat().st_size / 1024:.0f} KiB) built in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
