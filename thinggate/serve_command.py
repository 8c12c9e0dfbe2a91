"""`thinggate serve` without the CLI toolkit: its options parsed with argparse, then the hub runs.

The CLI toolkit (typer, rich and the pydantic typer loads to parse) costs about 14 MB that a
serving hub would carry for its whole life; `serve` parses its few options with argparse instead.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

SERVE_HELP = "Run the hub until Ctrl-C (SIGINT) or SIGTERM."


def serve_parser() -> argparse.ArgumentParser:
    """The options of `thinggate serve` (the same as the typer command in `cli` lists)."""
    parser = argparse.ArgumentParser(prog="thinggate serve", description=SERVE_HELP)
    parser.add_argument("--config", "-c", dest="config_path", metavar="PATH", type=Path, help="thinggate.toml to read")
    parser.add_argument("--data-dir", type=Path, help="where the database and files live")
    parser.add_argument("--database", help="postgresql://user@host:port/db (default: SQLite in the data dir)")
    parser.add_argument("--demo", action="store_true", help="give a fresh data directory a demo house")
    return parser


def _run(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def serve(argv: list[str]) -> int:
    """Run `thinggate serve` with these arguments; the exit status (2: configuration error)."""
    from thinggate.config import ConfigError, load_config
    from thinggate.server import serve as serve_forever

    arguments = serve_parser().parse_args(argv)
    try:
        config = load_config(arguments.config_path).with_overrides(
            data_dir=arguments.data_dir, database=arguments.database
        )
        logging.basicConfig(
            level=getattr(logging, config.log_level.upper(), logging.INFO),
            stream=sys.stderr,
            format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        )
        _run(serve_forever(config, demo=arguments.demo))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0
