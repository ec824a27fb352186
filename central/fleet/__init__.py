"""The fleet: heartbeats, kiosk states and their reasons, journey statistics, enrolment, alerts."""
