"""Device drivers: card reader, camera, printers and barcode scanner.

Each kind is a small package with its interface in ``base.py``, a simulator beside
it and, later, real drivers that import their hardware library only inside their
own module. ``drivers.base.create(kind, name)`` builds the one config asks for.
This package never imports ``kiosk`` or ``screens``.
"""
