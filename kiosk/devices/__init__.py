"""The kiosk's devices: built from config through the driver registry, watched by a monitor, their
supplies forecast."""
