"""人证合一 against the population registry: is the face at the kiosk the document holder's?"""
