"""The "virtual_chip" reader: the demo's personas as real ICAO chips, read in-process.

Each persona of ``sim_documents.toml`` is issued as an eMRTD by a test issuing state
generated at start-up (its CSCA becomes the reader's trust store), so the demo and
the tests run the kiosk's whole chip stack — access control, secure messaging, file
reads, passive and active authentication — without a PC/SC reader.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from drivers.base import FaultScript
from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.base import AccessKind, MrzKey
from drivers.reader.chip import ChipReader
from drivers.reader.icao.lds import MrzFormat
from drivers.reader.icao.trust import TrustStore
from drivers.reader.personas import SimDocument, load_documents
from drivers.reader.vchip.active_auth_key import ActiveAuthKey
from drivers.reader.vchip.chip import ChipProfile, VirtualChip
from drivers.reader.vchip.chip_auth_key import ChipAuthKey
from drivers.reader.vchip.issuer import ChipHolder, TestPki, build_com, build_data_groups, build_sod
from drivers.reader.vchip.pace_chip import PaceResponder, card_access_for
from drivers.reader.vchip.slot import VirtualSlot

# Persona document types as ICAO document codes and MRZ formats.
_ICAO_KIND: dict[str, tuple[str, MrzFormat]] = {
    "id_card": ("ID", "TD1"), "exit_entry_permit": ("CS", "TD1"),
    "passport": ("P", "TD3")}
DEFAULT_DOCUMENT = "eligible"


@functools.lru_cache(maxsize=4)
def test_pki(country: str = "CN") -> TestPki:
    """One test issuing state per country and process, shared by every chip it issues."""
    return TestPki.generate(country)


@functools.lru_cache(maxsize=4)
def _signing_pki(country: str, signer: str) -> TestPki:
    """The state's own CSCA with a signer that is valid or expired; "unknown" is another state's."""
    if signer == "unknown":
        return test_pki("ZZ")
    pki = test_pki(country)
    if signer != "expired":
        return pki
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = TestPki._certificate(
        pki.signer_cert.subject, pki.csca_cert.subject, key, pki.csca_key, pki.key_type,
        now - dt.timedelta(days=400), now - dt.timedelta(days=1))
    return dataclasses.replace(pki, signer_key=key, signer_cert=cert)


def holder_for(doc: SimDocument) -> ChipHolder:
    """The persona's facts as an issuing state would write them into the chip."""
    f = doc.fields
    code, mrz_format = _ICAO_KIND.get(f["document_type"], ("ID", "TD1"))
    latin = str(doc.chip.get("latin_name") or f["name"])
    primary, _, secondary = latin.partition(",")
    national = f["name"] if not f["name"].isascii() else None
    return ChipHolder(
        document_code=code, issuing_state=f["issuing_state"],
        document_number=f["document_number"], primary_identifier=primary.strip(),
        secondary_identifier=secondary.strip(), nationality=f["nationality"],
        birth_date=f["birth_date"], sex=f["sex"], expiry_date=f["expiry_date"],
        full_name_national=national, personal_number=None,
        permanent_address=f.get("household_address"), mrz_format=mrz_format)


def _age(birth: dt.date) -> int:
    today = dt.date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def issue(holder: ChipHolder, photo_jpeg: bytes, pki: TestPki, *, dg15: bytes | None = None,
          dg14: bytes | None = None, tamper_dg: int | None = None) -> dict[int, bytes]:
    """The chip's files by FID; ``tamper_dg`` changes one data group after signing."""
    groups = build_data_groups(holder, photo_jpeg)
    if dg14 is not None:
        groups[14] = dg14
    if dg15 is not None:
        groups[15] = dg15
    sod = build_sod(groups, pki)
    if tamper_dg is not None:
        raw = bytearray(groups[tamper_dg])
        raw[-1] ^= 0x01
        groups[tamper_dg] = bytes(raw)
    files = {0x0100 + dg: raw for dg, raw in groups.items()}
    files[0x011E] = build_com(groups)
    files[0x011D] = sod
    return files


def chip_for(doc: SimDocument, faults: FaultScript, *, max_read: int, extended_length: bool,
             country: str) -> VirtualChip:
    """Issue the persona's document and put it on a chip with the persona's access control."""
    f = doc.fields
    signer = str(doc.chip.get("signer", "valid"))
    pki = _signing_pki(country, signer)
    photo = portrait_jpeg(doc.key, sex=f["sex"], age=_age(f["birth_date"]))
    aa_key = ActiveAuthKey.generate("ec") if doc.chip.get("active_auth", True) else None
    ca_key = ChipAuthKey.generate() if doc.chip.get("chip_auth", False) else None
    files = issue(holder_for(doc), photo, pki, dg15=aa_key.dg15() if aa_key else None,
                  dg14=ca_key.dg14() if ca_key else None, tamper_dg=doc.chip.get("tamper_dg"))
    access = {AccessKind.NONE: "none", AccessKind.MRZ: str(doc.chip.get("chip_access", "bac")),
              AccessKind.CAN: "pace"}[doc.access]
    if access == "pace":
        files[0x011C] = card_access_for()
    profile = ChipProfile(
        files=files, access=access,
        mrz_key=MrzKey(f["document_number"], f["birth_date"], f["expiry_date"]),
        can=doc.can, max_read=max_read, extended_length=extended_length,
        active_auth=aa_key.sign if aa_key else None, chip_auth=ca_key)
    return VirtualChip(profile, faults,
                       pace_responder_factory=PaceResponder if access == "pace" else None)


class VirtualChipReader(ChipReader):
    """ChipReader over a VirtualSlot of persona chips; ``place``/``lift`` as the simulator's.

    ``faults`` are shared by the slot and every chip: ``remove_at_apdu``, ``wrong_key``,
    ``corrupt_mac``, ``mute`` (the chip's) and ``offline`` (the reader's).
    """

    def __init__(self, name: str, documents: Mapping[str, Mapping[str, Any]] | None = None,
                 documents_file: str | None = None, document: str | None = None,
                 present_after_s: float | None = None,
                 faults: dict[str, Any] | FaultScript | None = None, max_read: int = 231,
                 chip_extended_length: bool = False, read_size: int = 231,
                 extended_length: bool = True, trust_store: str | None = None,
                 allow_unknown_csca: bool = False, country: str = "CN",
                 bits_per_s: float = 0.0) -> None:
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        personas = load_documents(documents, documents_file)
        chips = {key: functools.partial(chip_for, doc, self.faults, max_read=max_read,
                                        extended_length=chip_extended_length, country=country)
                 for key, doc in personas.items()}
        store = TrustStore.from_directory(Path(trust_store)) if trust_store else _store(country)
        slot = VirtualSlot(name, chips, self.faults, bits_per_s=bits_per_s)
        self._virtual_slot = slot  # also ``self.slot``; typed here for place, lift and schedule
        super().__init__(name, slot, trust_store=store,
                         allow_unknown_csca=allow_unknown_csca, read_size=read_size,
                         extended_length=extended_length)
        self.documents = personas
        self.document = document or (DEFAULT_DOCUMENT if DEFAULT_DOCUMENT in personas
                                     else next(iter(personas)))
        self.present_after_s = present_after_s

    @property
    def present_key(self) -> str | None:
        return self._virtual_slot.present_key

    def place(self, key: str | None = None) -> None:
        self._virtual_slot.place(key or self.document)

    def lift(self) -> None:
        self._virtual_slot.lift()

    def arm(self) -> None:
        if self.present_after_s is None:
            return
        self.lift()
        self._virtual_slot.schedule(self.present_after_s, self.place)

    def disarm(self) -> None:
        self._virtual_slot.cancel()


def _store(country: str) -> TrustStore:
    """The test state's CSCA and CRL: what a real kiosk loads from its trust-store folder."""
    pki = test_pki(country)
    store = TrustStore.empty()
    store.add_certificate(pki.csca_certificate_der())
    store.add_crl(pki.crl_der())
    return store
