"""Per-city rules as data: one TOML file per city in central/policies/, validated at load.

Staff misreading the rules is a named cause of failure, so the rules live in reviewable files
rather than in code, and a typo in a file (an unknown key, a period given twice) stops the
server at start with the file and the key named, instead of silently deciding wrongly.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from central.i18n import both
from protocol import wire

POLICY_DIR = Path(__file__).resolve().parent / "policies"


class PolicyError(Exception):
    """A policy file that cannot be used; the message names the file and the key."""


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sentence(PolicyModel):
    zh_CN: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self) -> wire.Text:
        return wire.Text(zh_CN=self.zh_CN, en=self.en)


class ResidencePeriod(PolicyModel):
    """How long one must have lived in the city, counted from the residence registration."""

    months: int | None = Field(default=None, ge=1, le=60)
    days: int | None = Field(default=None, ge=1, le=1830)

    @model_validator(mode="after")
    def exactly_one(self) -> ResidencePeriod:
        if (self.months is None) == (self.days is None):
            raise ValueError("give exactly one of 'months' or 'days'")
        return self

    def describe(self) -> wire.Text:
        if self.months is not None:
            return both("period.months", months=self.months)
        return both("period.days", days=self.days)


class ExemptionKind(str, Enum):
    """How an exemption is recognised from shared records (the kiosk declares no purpose)."""

    PROVINCIAL_STUDENT = "provincial_student"  # full-time at a school of the city's own province
    RECORD = "record"  # a shared record of `record_kind` here (medical stay, rescue station)


class Exemption(PolicyModel):
    code: str = Field(min_length=1)
    kind: ExemptionKind
    record_kind: str | None = None
    text: Sentence

    @model_validator(mode="after")
    def record_kind_for_records(self) -> Exemption:
        if (self.kind is ExemptionKind.RECORD) != (self.record_kind is not None):
            raise ValueError("'record_kind' is required for kind 'record' and only for it")
        return self


class Document(PolicyModel):
    code: str = Field(min_length=1)
    zh_CN: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def required(self) -> wire.RequiredDocument:
        return wire.RequiredDocument(code=self.code, text=wire.Text(zh_CN=self.zh_CN, en=self.en))


class StationEntry(PolicyModel):
    code: str = Field(min_length=1)
    name: Sentence
    address: Sentence

    def station(self) -> wire.Station:
        return wire.Station(code=self.code, name=self.name.text(), address=self.address.text())


class CommunityEntry(PolicyModel):
    code: str = Field(min_length=1)
    name: Sentence


class DistrictEntry(PolicyModel):
    code: str = Field(min_length=1)
    name: Sentence
    communities: list[CommunityEntry] = Field(min_length=1)


class CityPolicy(PolicyModel):
    """Everything the rules and the directory need to know about one city."""

    code: str = Field(pattern="^[a-z][a-z0-9_]*$")
    number_prefix: str = Field(pattern="^[A-Z]{2}$", description="Application numbers start so.")
    province: str = Field(pattern="^[a-z][a-z0-9_]*$")
    name: Sentence
    residence_period: ResidencePeriod
    conditions: list[wire.Condition] = Field(min_length=1)
    validity_years: int = Field(ge=1, le=10)
    exempt_age: int = Field(ge=1, le=150)
    photo_max_age_years: int = Field(ge=1, le=10)
    print_here_allowed: bool
    exemptions: list[Exemption] = []
    documents: dict[wire.Condition, list[Document]]
    pickup_stations: list[StationEntry] = Field(min_length=1)
    districts: list[DistrictEntry] = Field(min_length=1)
    region_prefixes: list[str] = Field(default_factory=list, description=(
        "GB/T 2260 region codes of the city (2, 4 or 6 digits): a resident whose household "
        "region is one of them is local, however the city's name is spelled."))
    time_zone: str = Field("Asia/Shanghai", description=(
        "The city's zone (IANA): every 'today', deadline and printed date is its local date."))

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def documents_for_every_condition(self) -> CityPolicy:
        missing = [c.value for c in self.conditions if not self.documents.get(c)]
        if missing:
            raise ValueError(f"no documents listed for condition(s) {', '.join(missing)}")
        return self

    def directory(self) -> wire.CityDirectory:
        return wire.CityDirectory(city=self.code, name=self.name.text(), districts=[
            wire.District(code=d.code, name=d.name.text(), communities=[
                wire.Community(code=c.code, name=c.name.text()) for c in d.communities])
            for d in self.districts])

    def district(self, code: str) -> DistrictEntry | None:
        return next((d for d in self.districts if d.code == code), None)

    def knows_address(self, address: wire.Address) -> bool:
        district = self.district(address.district)
        return district is not None and any(c.code == address.community
                                            for c in district.communities)

    def station(self, code: str) -> StationEntry | None:
        return next((s for s in self.pickup_stations if s.code == code), None)

    def stations(self) -> list[wire.Station]:
        return [s.station() for s in self.pickup_stations]


def _describe(error: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if error["type"] == "missing":
        return f"missing key '{key}'"
    return f"key '{key}': {error['msg']}"


def load_policy(path: Path) -> CityPolicy:
    """Parse and validate one file; raise PolicyError naming the file and the offending key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path.name}: {exc}") from None
    try:
        policy = CityPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise PolicyError(f"{path.name}: {problems}") from None
    if policy.code != path.stem:
        raise PolicyError(f"{path.name}: key 'code' is '{policy.code}', expected '{path.stem}'")
    return policy


def load_policies(directory: Path = POLICY_DIR) -> dict[str, CityPolicy]:
    """Every *.toml in the directory, by city code."""
    policies = {p.code: p for p in map(load_policy, sorted(directory.glob("*.toml")))}
    if not policies:
        raise PolicyError(f"{directory.name}: no policy files (*.toml)")
    return policies
