"""The protocol kiosks and central share: wire models, request signing, enrolment codes, tracking
addresses and codes.

Imports nothing of the kiosk or of central's server, and no server library."""
