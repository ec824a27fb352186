"""Faces as numbers, shared by the kiosk and the central server: finding a face
(``finder``: mediapipe), its template (``templates``: dlib's descriptor), decoding an image
(``images``), and the drawn demo faces (``drawn``).

Neither the kiosk's nor central's decisions live here (what a distance means for an
application is theirs); this package imports neither ``kiosk`` nor ``central``. Templates
are personal data: they are made in memory, compared, wiped, and never stored or logged.
"""
