"""Side effects outside the process, done at most once: fulfilment, the outbox, the journal and
what a restart settles."""
