"""`python -m pipeline`: the `spanfact` command, where the console script is not on PATH."""

from pipeline.cli import app

app(prog_name="spanfact")
