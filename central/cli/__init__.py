"""`python -m central` and its subcommands."""
