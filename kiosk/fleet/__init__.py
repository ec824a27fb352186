"""The kiosk in its fleet: the central client, heartbeat, remote settings, enrolment and
credentials, daily counts and metrics."""
