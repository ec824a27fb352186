"""The module's commands as methods: what the driver, the CLI and the benchmark share.

Command and parameter bytes as the public protocol descriptions list them (eastcoms.com/
service/downdrive/508.html; softs.im, "身份证阅读器通信协议"; the find/select/read
examples at yzsam.com/html/CNvfzM.html): SAM status 11 FF, SAM id 12 FF, find card 20 01
(answered 00 00 9F when a card is there, 00 00 80 when not), select card 20 02, read text
and photo 30 01, read text, photo and fingerprints 30 10. A read answer's data is the text
length and the photo length (two bytes each, high byte first; with 30 10 a third, the
fingerprint length), then the text, the photo and the fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.reader.idcard.frames import (
    FIND_CARD,
    READ_TEXT_PHOTO,
    READ_TEXT_PHOTO_FINGERPRINT,
    SAM_ID,
    SAM_STATUS,
    SELECT_CARD,
)
from drivers.reader.idcard.link import ModuleLink
from drivers.reader.idcard.status import SW3_CARD_FOUND, SW3_NO_CARD, BadCardText, error_for
from drivers.reader.idcard.text import TEXT_LEN, CardText, parse_card_text


@dataclass(frozen=True)
class CardRead:
    """What one read returned. Personal data: nothing of it in the repr."""

    text: CardText = field(repr=False)
    wlt: bytes = field(repr=False)
    fingerprints: bytes = field(default=b"", repr=False)


def parse_read_data(data: bytes, with_fingerprints: bool = False) -> CardRead:
    """The data of a successful read answer; BadCardText if its lengths do not add up."""
    words = 3 if with_fingerprints else 2
    if len(data) < 2 * words:
        raise BadCardText(f"read answer of {len(data)} bytes has no lengths")
    lengths = [int.from_bytes(data[2 * i:2 * i + 2], "big") for i in range(words)]
    if lengths[0] != TEXT_LEN or 2 * words + sum(lengths) > len(data):
        raise BadCardText(f"read answer lengths {lengths} do not fit {len(data)} bytes")
    start = 2 * words
    text = data[start:start + TEXT_LEN]
    photo = data[start + TEXT_LEN:start + TEXT_LEN + lengths[1]]
    prints = data[start + TEXT_LEN + lengths[1]:start + sum(lengths)]
    try:
        return CardRead(parse_card_text(text), photo, prints)
    except (ValueError, TypeError) as exc:
        raise BadCardText("card text of no known layout") from exc


def format_sam_id(data: bytes) -> str:
    """The SAM's number as hex groups; kept for diagnostics (it identifies the module)."""
    return "-".join(data[i:i + 4].hex().upper() for i in range(0, len(data), 4)) or "?"


class ModuleCommands:
    """One command per method over a ModuleLink."""

    def __init__(self, link: ModuleLink) -> None:
        self.link = link

    def sam_status(self) -> None:
        self.link.transact(SAM_STATUS)

    def sam_id(self) -> str:
        return format_sam_id(self.link.transact(SAM_ID).data)

    def find(self) -> bool:
        """Whether a card is in the field (not yet activated by an earlier find)."""
        answer = self.link.transact(FIND_CARD, check=False)
        if answer.sw3 == SW3_CARD_FOUND:
            return True
        if answer.sw3 == SW3_NO_CARD:
            return False
        raise error_for(answer.sw1, answer.sw2, answer.sw3)

    def select(self) -> None:
        self.link.transact(SELECT_CARD)

    def read(self, with_fingerprints: bool = False) -> CardRead:
        command = READ_TEXT_PHOTO_FINGERPRINT if with_fingerprints else READ_TEXT_PHOTO
        answer = self.link.transact(command, slow=True)
        return parse_read_data(answer.data, with_fingerprints)
