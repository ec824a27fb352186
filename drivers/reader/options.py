"""Options of the document readers ("simulated", "virtual_chip", "pcsc", "idcard",
"virtual_idcard"), checked at load."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from drivers.options import PROJECT_PATH, DriverOptions, faults_field, project_path

_DOCUMENTS = ("Personas as a table, persona key to fields (as in "
              "drivers/reader/sim_documents.toml); none: read from documents_file.")
_DOCUMENTS_FILE = "TOML file of personas, relative to the project; none: the shipped one."
_DOCUMENT = ("The persona a simulated resident puts down (place() without a key, and "
             "present_after_s); none: 'eligible', else the first.")
_PRESENT_AFTER_S = ("Seconds after the kiosk starts waiting for a document until the "
                    "simulated resident puts it down (the demo's hands); none: never.")


class SimulatedReaderOptions(DriverOptions):
    """Personas on a pretend reader: no chip, read in ``read_time_s``."""

    documents: dict[str, dict[str, Any]] | None = Field(None, description=_DOCUMENTS)
    documents_file: str | None = project_path(None, _DOCUMENTS_FILE)
    document: str | None = Field(None, description=_DOCUMENT)
    present_after_s: float | None = Field(None, ge=0, description=_PRESENT_AFTER_S)
    read_time_s: float = Field(0.3, ge=0, description="Seconds a read takes.")
    faults: dict[str, Any] | None = faults_field(
        "remove_during_read, wrong_key, unreadable, not_genuine, offline, slow_read_s")


_TRUST_STORE = "Folder of CSCA certificates, CRLs and master lists, relative to the project."


class ChipReaderOptions(DriverOptions):
    """How an ICAO chip is read and checked, for every chip reader."""

    allow_unknown_csca: bool = Field(False, description="Accept a chip whose country's CSCA "
                                     "is not in the trust store (sent to staff review).")
    read_size: int = Field(231, gt=0, le=65536, description="Bytes asked per READ BINARY.")
    extended_length: bool = Field(True, description="Use extended-length APDUs when the "
                                  "chip offers them.")


class VirtualChipReaderOptions(ChipReaderOptions):
    """The personas as ICAO chips, read in-process through the real chip-reading code."""

    trust_store: str | None = project_path(None, _TRUST_STORE + " None: the virtual "
                                           "chips' own test CSCA.")
    documents: dict[str, dict[str, Any]] | None = Field(None, description=_DOCUMENTS)
    documents_file: str | None = project_path(None, _DOCUMENTS_FILE)
    document: str | None = Field(None, description=_DOCUMENT)
    present_after_s: float | None = Field(None, ge=0, description=_PRESENT_AFTER_S)
    faults: dict[str, Any] | None = faults_field(
        "remove_at_apdu, wrong_key, wrong_le, corrupt_mac, mute (the chip's), "
        "offline (the reader's)")
    max_read: int = Field(231, gt=0, le=65536, description="Largest READ BINARY answer the "
                          "virtual chip gives.")
    chip_extended_length: bool = Field(False, description="The virtual chip takes "
                                       "extended-length APDUs.")
    country: str = Field("CN", min_length=1, description="Issuing country of the virtual "
                         "chips' test PKI (its CSCA is trusted when trust_store is none).")
    bits_per_s: float = Field(0.0, ge=0, description="Simulated air speed (ISO 14443, e.g. "
                              "212000); 0: as fast as the computer.")


class PcscReaderOptions(ChipReaderOptions):
    """Real chips on a PC/SC reader (pcscd)."""

    reader: str = Field("", description="Part of the PC/SC reader's name, any case; empty: "
                        "the first reader.")
    require_trust_store: bool = Field(True, description="Refuse to run without trust_store "
                                      "(a kiosk must check every chip's signature).")
    trust_store: str | None = Field(None, description=_TRUST_STORE, validate_default=True,
                                    json_schema_extra={PROJECT_PATH: True})
    active_authentication: bool = Field(True, description="Check the chip is not a copy "
                                        "(Active Authentication) when it offers it.")

    @field_validator("trust_store", mode="after")
    @classmethod
    def _store_required(cls, value: str | None, info: Any) -> str | None:
        if value is None and info.data.get("require_trust_store", True):
            raise ValueError("a chip reader needs a trust store (or require_trust_store = "
                             "false)")
        return value


_PHOTO_DECODER = ("The site's licensed WLT photo decoder: 'library:PATH[:FUNCTION]' (a shared "
                  "library, run in a child process), 'command:ARGV' with {wlt} and {out}, or "
                  "'simulated' (the virtual module's portraits only); none: no photo.")


class IdCardReaderOptions(DriverOptions):
    """The resident ID card through the certified reader module, on a serial/USB-CDC port."""

    port: str = Field(..., min_length=1, description="The module's device, e.g. /dev/ttyUSB0 "
                      "(serial adapter) or /dev/ttyACM0 (USB-CDC).")
    baud: Literal[9600, 115200] = Field(115200, description="The module's line speed.")
    answer_timeout_s: float = Field(1.0, gt=0, le=30, description="Seconds to wait for an "
                                    "answer to find, select and SAM commands.")
    read_timeout_s: float = Field(3.0, gt=0, le=60, description="Seconds to wait for the "
                                  "first byte of a card read's answer.")
    poll_interval_s: float = Field(0.3, gt=0, le=10, description="Seconds between two "
                                   "'find card' polls.")
    reconnect_interval_s: float = Field(2.0, gt=0, le=60, description="Seconds between two "
                                        "tries to reach a silent or unplugged module.")
    retries: int = Field(1, ge=0, le=5, description="Times a garbled answer is asked again.")
    photo_decoder: str | None = Field(None, description=_PHOTO_DECODER)

    @field_validator("photo_decoder")
    @classmethod
    def _decoder_known(cls, value: str | None) -> str | None:
        if value is not None and value.partition(":")[0] not in ("library", "command",
                                                                  "simulated"):
            raise ValueError("photo_decoder must start with library:, command: or be "
                             "simulated")
        return value


class VirtualIdCardReaderOptions(DriverOptions):
    """The personas' ID cards in a virtual module on a pty, read by the real driver."""

    documents: dict[str, dict[str, Any]] | None = Field(None, description=_DOCUMENTS)
    documents_file: str | None = project_path(None, _DOCUMENTS_FILE)
    document: str | None = Field(None, description=_DOCUMENT)
    present_after_s: float | None = Field(None, ge=0, description=_PRESENT_AFTER_S)
    faults: dict[str, Any] | None = faults_field(
        "silent, sam_fault, lift_after_select, read_fails, not_authentic, corrupt_check, "
        "wrong_baud")
    baud: Literal[9600, 115200] = Field(115200, description="The driver's line speed.")
    module_baud: Literal[9600, 115200] | None = Field(None, description="The virtual "
                                                      "module's pace; none: as baud.")
    pace: bool = Field(True, description="The module takes the line time of each byte.")
    photo_decoder: str | None = Field("simulated", description=_PHOTO_DECODER)
    answer_timeout_s: float = Field(1.0, gt=0, le=30, description="As the idcard driver's.")
    read_timeout_s: float = Field(3.0, gt=0, le=60, description="As the idcard driver's.")
    poll_interval_s: float = Field(0.2, gt=0, le=10, description="As the idcard driver's.")
    reconnect_interval_s: float = Field(0.5, gt=0, le=60, description="As the idcard "
                                        "driver's.")
    retries: int = Field(1, ge=0, le=5, description="As the idcard driver's.")


class SubReader(DriverOptions):
    """One reader of a combined reader: its driver and that driver's own options."""

    driver: str = Field(description="A reader driver (not 'combined').")
    options: dict[str, Any] = Field(default_factory=dict, description="Its options.")

    @field_validator("driver")
    @classmethod
    def _not_combined(cls, value: str) -> str:
        if value == "combined":
            raise ValueError("a combined reader does not hold another combined reader")
        return value


class CombinedReaderOptions(DriverOptions):
    """Several readers as one: the ID-card module beside a passport reader, as a hall's kiosk
    has them. The first that sees a document is read; each sub-reader's options are checked
    by its own driver's model."""

    readers: list[SubReader] = Field(min_length=1, max_length=4,
                                     description="The readers, in the order a document "
                                                 "is offered to them by the simulators.")

    @field_validator("readers")
    @classmethod
    def _each_checked(cls, readers: list[SubReader]) -> list[SubReader]:
        from drivers.base import driver
        return [SubReader(driver=r.driver, options=driver("reader", r.driver).check(r.options))
                for r in readers]
