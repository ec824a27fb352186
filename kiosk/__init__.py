"""OneTrip Kiosk core: the resident journey, rules, central API client and outbox, free of any GUI."""

__version__ = "0.1.0"
