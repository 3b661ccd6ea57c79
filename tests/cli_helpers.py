"""Invoking the `spanfact` CLI in-process for tests."""

from __future__ import annotations

from collections.abc import Callable

from typer.testing import CliRunner, Result

from pipeline import cli


def cli_invoker(columns: int) -> Callable[..., Result]:
    """A function running the CLI with its arguments; `columns` fixes the terminal width rich
    wraps to, so output does not depend on the terminal the tests run in."""
    runner = CliRunner()

    def call(*args: str) -> Result:
        return runner.invoke(cli.app, list(args), env={"COLUMNS": str(columns)})

    return call
