"""人证合一 when the document's photo cannot be read here: ask central, which asks the
population registry.

The ID card's photo is WLT, which only the reader vendor's decoder expands; a kiosk without
it has the live face and no document photo. Central compares the live face with the photo
the population registry holds and answers a verdict and a distance, never the photo. This
module turns that answer into the kiosk's own ``wire.FaceCheck`` with the rule of
``verify.py``: the verdict is the kiosk's ``verdict_for`` on the distance with its own
threshold and unsure band, so anything but a clear match ("unsure", "no_match",
"no_face") goes to staff review; nobody is accused.

``None`` means no comparison could be made: the registry holds no photo for the document
("no_reference"), or central could not be asked or refused. That is what the photo step
already has for a document without a photo. The live JPEG is sent and not kept; only the
verdict is logged.
"""

from __future__ import annotations

import logging
from typing import Protocol

from kiosk.errors import CentralError
from kiosk.photo.verify import verdict_for
from protocol import wire

log = logging.getLogger(__name__)


class RegistryAsker(Protocol):
    """What is needed of kiosk.fleet.central_client.CentralClient (a layer above this)."""

    def registry_face_check(self, document_type: str, document_number: str,
                            live_jpeg: bytes) -> wire.RegistryFaceCheck: ...


def registry_face_check(client: RegistryAsker, document_type: str, document_number: str,
                        live_jpeg: bytes, threshold: float,
                        unsure_band: float) -> wire.FaceCheck | None:
    """The live face against the registry's photo, as the kiosk's FaceCheck (see above)."""
    try:
        answer = client.registry_face_check(document_type, document_number, live_jpeg)
    except CentralError as exc:
        log.warning("registry face check not made: %s", exc.code or type(exc).__name__)
        return None
    log.info("registry face check verdict=%s", answer.verdict)
    if answer.verdict == "no_reference":
        return None
    if answer.verdict == "no_face" or answer.distance is None:
        return wire.FaceCheck(verdict="no_face", distance=None, threshold=threshold)
    return wire.FaceCheck(verdict=verdict_for(answer.distance, threshold, unsure_band),
                          distance=answer.distance, threshold=threshold)
