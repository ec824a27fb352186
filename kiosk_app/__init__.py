"""The kiosk program: the composition root above ``kiosk/`` (the core) and ``screens/`` (the
touch UI). It builds the running kiosk from config and hands it to the UI, and it is the
``kiosk`` command: the core's headless subcommands plus ``run``.
"""
