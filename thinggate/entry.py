"""The `thinggate` script: `serve` goes straight to the hub, every other command to the typer CLI in `cli`.

Loading the typer CLI costs about 14 MB (typer, rich, the pydantic typer parses with) that a
serving hub would carry for its whole life.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run `thinggate ...` as given on the command line."""
    if sys.argv[1:2] == ["serve"]:
        from thinggate.serve_command import serve

        sys.exit(serve(sys.argv[2:]))
    from thinggate.cli import app

    app()
