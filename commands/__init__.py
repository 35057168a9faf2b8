"""Subcommands of the `tutor` shell that live outside cli.py: each module has register(sub, with_index)."""
