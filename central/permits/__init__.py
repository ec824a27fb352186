"""Residence permits: per-city policies, the eligibility rules and their reasons,
applications and their states."""
