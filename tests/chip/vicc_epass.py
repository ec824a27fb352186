"""vicc's ``ePass`` card (a BAC passport emulator) made to run under Python 3, from outside.

This file plays two parts:

* in the test process, ``start_epass`` writes the MRZ and the photo where vicc's side
  can find them and starts vicc through ``tests.chip.pcscd.Vicc`` with this very file as
  a patch module;
* in the vicc process, the ``sitecustomize`` that ``Vicc`` writes imports this module and
  calls ``install()`` before vicc runs.

Why a whole method is replaced: Debian's ``CardGenerator.__generate_ePass`` (vsmartcard
3.3) is still Python 2 on nearly every line, so no single call can be patched around:
it calls ``raw_input`` (NameError on Python 3) for the MRZ and a photo path; it needs
Pillow, which the system Python lacks here, just to learn the photo's size; it builds
the application DF with a ``str`` AID (so SELECT by AID, which compares bytes, never
matches); it packs the ``str`` MRZ with ``TLVutils.pack``, which walks a ``str`` value
as nested TLVs and, even on bytes, ends in ``b"".join(bytes)`` (TypeError); the DG2
headers are ``str + bytes`` (TypeError); and EF.SOD is the ``str`` "". ``install``
puts in a generator that builds the same files with bytes, using vicc's own MF/DF/EF
classes and its ``PassportSAM``, so the card OS, the file system, the SAM and the vpcd
transport under test are vicc's. Like Debian's generator it serves an empty SOD; no
file has an access condition, so everything reads in the clear (BAC is offered by the
SAM but not required).
"""

from __future__ import annotations

import os
from pathlib import Path

MRZ_ENV = "VICC_EPASS_MRZ"
PHOTO_ENV = "VICC_EPASS_PHOTO"
LDS1_AID = bytes.fromhex("A0000002471001")


def _tlv(tag: int, value: bytes) -> bytes:
    """BER-TLV with a definite length (vicc's TLVutils.pack is broken, see above)."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        body = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(body)]) + body
    return tag_bytes + length + value


def passport_files(mrz: bytes, photo: bytes) -> dict[int, bytes]:
    """EF.COM, DG1, DG2 (the photo as a bare JPEG in 5F2E) and an empty SOD, by FID."""
    com = _tlv(0x60, _tlv(0x5F01, b"0107") + _tlv(0x5F36, b"040000") + _tlv(0x5C, b"\x61\x75"))
    dg1 = _tlv(0x61, _tlv(0x5F1F, mrz))
    header = _tlv(0xA1, bytes.fromhex("87020101" "88020501"))  # biometric header template
    dg2 = _tlv(0x75, _tlv(0x7F61, _tlv(0x02, b"\x01")
                               + _tlv(0x7F60, header + _tlv(0x5F2E, photo))))
    return {0x011E: com, 0x0101: dg1, 0x0102: dg2, 0x011D: b""}


def _generate_epass(self) -> None:
    """Replaces CardGenerator.__generate_ePass inside vicc: bytes only, no prompt."""
    from virtualsmartcard.cards.ePass import PassportSAM
    from virtualsmartcard.SmartcardFilesystem import DF, MF, TransparentStructureEF

    mrz = os.environ[MRZ_ENV].encode("ascii")
    photo = Path(os.environ[PHOTO_ENV]).read_bytes()
    mf = MF()
    df = DF(parent=mf, fid=4, dfname=LDS1_AID, bertlv_data=[])
    for fid, data in passport_files(mrz, photo).items():
        # the short file identifier is the FID's low five bits, as ICAO 9303-10 assigns
        df.append(TransparentStructureEF(parent=df, fid=fid, shortfid=fid & 0x1F,
                                         filedescriptor=0, data=data))
    mf.append(df)
    self.mf = mf
    self.sam = PassportSAM(mf)  # reads DG1 back (at offset 5) to derive the BAC keys


def install() -> None:
    """Called by the sitecustomize in the vicc process, before vicc builds its card."""
    import builtins

    from virtualsmartcard.CardGenerator import CardGenerator

    CardGenerator._CardGenerator__generate_ePass = _generate_epass
    # nothing should prompt any more; if something still does, fail loudly, not hang
    builtins.raw_input = lambda prompt="": (_ for _ in ()).throw(RuntimeError(prompt))


def start_epass(vicc_factory, work_dir: Path, mrz: str, photo: bytes, port: int):
    """Start vicc -t ePass on ``port`` serving ``mrz`` (88 characters) and ``photo``."""
    photo_path = work_dir / "epass-photo.jpg"
    photo_path.write_bytes(photo)
    os.environ[MRZ_ENV] = mrz  # inherited by vicc, which Vicc starts with our environment
    os.environ[PHOTO_ENV] = str(photo_path)
    try:
        return vicc_factory("ePass", port, patches=(Path(__file__),))
    finally:
        del os.environ[MRZ_ENV], os.environ[PHOTO_ENV]
