"""Reference central API for OneTrip kiosks (another program: shares only central.wire)."""
