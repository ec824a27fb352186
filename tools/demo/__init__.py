"""The demo: the kiosk on simulated devices walked by an autopilot resident, and the dashboard photographed."""
