"""ICAO Doc 9303 electronic travel documents: the kiosk's side of the chip protocol.

Pure Python over a ``CardChannel`` (bytes in, bytes out): no pyscard here, so the
same code talks to a PC/SC reader, the in-process virtual chip and the tests.
"""
