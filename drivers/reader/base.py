"""The identity-document reader interface.

Shaped for real chips: a document may be present but unreadable until an access
key is given (BAC/PACE from the MRZ, or a CAN), reads take seconds and report
progress, and presence changes arrive as events from a monitor thread.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from drivers.base import Device, DeviceError


class AccessKind(str, Enum):
    NONE = "none"  # readable as soon as it is present
    MRZ = "mrz"  # document number, birth date, expiry (BAC or PACE-MRZ)
    CAN = "can"  # 6-digit card access number (PACE-CAN)


@dataclass(frozen=True)
class MrzKey:
    document_number: str
    birth_date: dt.date
    expiry_date: dt.date


@dataclass(frozen=True)
class CanKey:
    can: str


AccessKey = MrzKey | CanKey


@dataclass
class IdentityDocument:
    """What a reader returns. Personal data: never log it, drop it with the session."""

    # "id_card" (居民身份证), "passport", "exit_entry_permit", and from the ID-card reader
    # module "foreign_permanent_residence_card" and "hk_macao_taiwan_residence_permit"
    document_type: str
    issuing_state: str  # ISO 3166 alpha-3, "CHN"
    document_number: str
    name: str  # as printed, e.g. "张伟" or "ZHANG WEI"
    sex: str  # "M", "F" or "X"
    birth_date: dt.date
    nationality: str
    expiry_date: dt.date | None
    household_city: str | None = None  # 户籍 city code when the document carries it
    household_address: str | None = None
    photo_jpeg: bytes | None = field(default=None, repr=False)
    genuine: bool = True  # passive authentication verdict (chip issue)
    review_reasons: list[str] = field(default_factory=list)  # e.g. "no_csca_for_country"
    # What the ID-card reader module adds; other readers leave the defaults.
    ethnic_group: str | None = None  # GB/T 3304 name, e.g. "汉族"
    issuing_authority: str | None = None  # 签发机关
    valid_from: dt.date | None = None
    expired: bool = False  # the card's validity ended before the day it was read
    latin_name: str | None = None  # a foreigner's English name beside the Chinese one
    other_document_number: str | None = None  # the HK/Macao/Taiwan pass, the earlier card

    def __repr__(self) -> str:  # keep personal data out of tracebacks and logs
        return f"IdentityDocument(type={self.document_type}, state={self.issuing_state})"


class DocumentEventKind(str, Enum):
    PRESENTED = "presented"
    REMOVED = "removed"


@dataclass(frozen=True)
class DocumentEvent:
    kind: DocumentEventKind
    reader: str
    access: AccessKind = AccessKind.NONE
    can_allowed: bool = False  # a PACE chip: the 6-digit CAN opens it as well as the MRZ


class ReaderError(DeviceError):
    code = "reader_error"


class WrongAccessKey(ReaderError):
    code = "wrong_access_key"


class DocumentRemoved(ReaderError):
    code = "document_removed"


class DocumentNotGenuine(ReaderError):
    code = "document_not_genuine"


class UnreadableDocument(ReaderError):
    code = "unreadable_document"


ProgressCallback = Callable[[float], None]
DocumentListener = Callable[[DocumentEvent], None]


class DocumentReader(Device):
    """Watches for documents and reads them.

    ``start`` begins watching; ``listener`` is called from the driver's own thread
    (the kiosk marshals it to its journey). ``read`` blocks; call it off the UI thread.
    """

    kind = "reader"
    reads: frozenset[str] | None = None  # document types it can hold; None: any

    @abstractmethod
    def start(self, listener: DocumentListener) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def arm(self) -> None:
        """The kiosk has started waiting for a document (the welcome screen is up).

        Real readers watch all the time and need not care. A simulator uses it as the
        moment a resident walks up, e.g. to place a document a few seconds later.
        """

    def disarm(self) -> None:
        """The kiosk has stopped waiting for a document; undo what ``arm`` started."""

    def forget(self) -> None:
        """The resident's session ended: drop anything kept about their document.

        Readers that resume an interrupted read keep the part already read; it is
        personal data and must not outlive the session. Must not block.
        """

    @abstractmethod
    def read(self, key: AccessKey | None = None,
             progress: ProgressCallback | None = None) -> IdentityDocument:
        """Read the present document; raises a ReaderError subclass on failure."""
