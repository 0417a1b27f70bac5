"""The `baton` command's subcommands, a module per family; `bot/cli.py` puts them together."""
