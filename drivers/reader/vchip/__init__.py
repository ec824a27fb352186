"""An in-process ICAO 9303 chip: the card side of the protocol, for tests, the demo and benchmarks.

``chip.VirtualChip`` answers raw APDUs as an eMRTD does (SELECT, READ BINARY, BAC,
secure messaging, hooks for PACE and active authentication), with scripted faults.
"""
