"""From what the chip holds to the kiosk's IdentityDocument.

The chip's own data wins over anything printed: the MRZ of DG1 for the document's
facts, DG11 for the name in national characters and the permanent address, and
DG2's face, re-encoded as JPEG when the chip stores JPEG 2000 so the screen and
the application always get one format.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from drivers.reader.base import IdentityDocument
from drivers.reader.icao.errors import MalformedChipData
from drivers.reader.icao.lds import FaceImage, MachineReadableZone
from drivers.reader.icao.reading import ChipReadResult

# ICAO document codes to the kiosk's kinds. China's exit-entry permits begin with C.
_KINDS = {"P": "passport", "C": "exit_entry_permit", "I": "id_card", "A": "id_card"}


def document_type(mrz: MachineReadableZone) -> str:
    return _KINDS.get(mrz.document_code[:1], "id_card")


def mrz_name(mrz: MachineReadableZone) -> str:
    """'ZHANG WEI' from primary 'ZHANG' and secondary 'WEI', as a passport prints it."""
    return " ".join(part for part in (mrz.primary_identifier, mrz.secondary_identifier) if part)


def face_as_jpeg(face: FaceImage | None) -> bytes | None:
    """JPEG bytes of the chip's face; JPEG 2000 is converted, a broken image is an error."""
    if face is None:
        return None
    if face.mime == "image/jpeg":
        return face.data
    try:
        with Image.open(io.BytesIO(face.data)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=92)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MalformedChipData(f"DG2 face image does not decode: {type(exc).__name__}") from None


def identity_from_chip(result: ChipReadResult) -> IdentityDocument:
    """The typed document the journey uses; ``review_reasons`` carries what staff must check."""
    mrz = result.mrz
    personal = result.personal
    reasons = list(result.passive.review_reasons) if result.passive is not None else []
    if not mrz.check_digits_ok:
        reasons.append("mrz_check_digit_mismatch")
    return IdentityDocument(
        document_type=document_type(mrz),
        issuing_state=mrz.issuing_state,
        document_number=mrz.document_number,
        name=(personal.full_name if personal and personal.full_name else mrz_name(mrz)),
        sex=mrz.sex,
        birth_date=(personal.full_birth_date if personal and personal.full_birth_date
                    else mrz.birth_date),
        nationality=mrz.nationality,
        expiry_date=mrz.expiry_date,
        household_address=personal.permanent_address if personal else None,
        photo_jpeg=face_as_jpeg(result.face),
        genuine=True,
        review_reasons=reasons,
    )
