"""The technician's view of a running kiosk: the report, the PIN gate, test prints."""
