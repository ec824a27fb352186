"""The `kiosk` command's headless subcommands (the composition root adds `run`)."""
