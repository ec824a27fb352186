"""What shared records say about one resident in one city: the rules' only view of the world.

Data instead of paper: a social-insurance record confirms employment, a property or tenancy
registration confirms a home, an enrolment confirms study, so the resident brings nothing.
These are plain values, loaded by central.db and handed to the pure rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum

from protocol import wire


class RecordKind(str, Enum):
    """Kinds of shared records; other kinds (e.g. 'medical_stay') only feed exemptions."""

    SOCIAL_INSURANCE = "social_insurance"  # employment, with the employer as sponsor
    PROPERTY = "property"  # home owned, in a district
    RENTAL = "rental"  # registered tenancy, in a district
    ENROLMENT = "enrolment"  # study, with the school as sponsor


@dataclass(frozen=True)
class SharedRecord:
    kind: str
    sponsor: str | None = None  # employer or school
    district: str | None = None
    full_time: bool = False  # enrolments
    sponsor_province: str | None = None  # the school's province, for student exemptions


@dataclass(frozen=True)
class Registration:
    """The residence registration (居住登记) the waiting period counts from."""

    registered_on: dt.date
    district: str
    community: str


@dataclass(frozen=True)
class ResidentRecords:
    """One resident's records in one city; `household_city` is from the population register."""

    household_city: str | None = None
    registration: Registration | None = None
    records: tuple[SharedRecord, ...] = field(default_factory=tuple)
    permit: wire.PermitOnFile | None = None

    def of_kind(self, *kinds: str) -> list[SharedRecord]:
        return [r for r in self.records if r.kind in kinds]

    def sponsors(self) -> list[str]:
        """Employers and schools on record, to offer the resident as buttons."""
        found = [r.sponsor for r in self.of_kind(RecordKind.SOCIAL_INSURANCE, RecordKind.ENROLMENT)]
        return list(dict.fromkeys(s for s in found if s))
