"""The permit office behind the API: policies, the store, the clock and the public address.

Routes stay thin; everything they do goes through here, and everything here is plain Python
that tests can call without HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from central import errors
from central.config import CentralConfig
from central.errors import ApiProblem
from central.fleet.enrolment import Enrolment
from central.fleet.service import Fleet
from central.i18n import both
from central.permits.policy import CityPolicy
from central.permits.rules import DeclarationMissing, decide, summarise
from central.permits.status import application_status
from central.storage.store import CentralStore, utc_now
from protocol import tracking, wire
from protocol.codes import ApiErrorCode

if TYPE_CHECKING:
    from central.identity.face_check import FaceChecker

DEFAULT_TIME_ZONE = "Asia/Shanghai"  # every city this project serves keeps China Standard Time


@dataclass(frozen=True)
class Clock:
    """The current instant, and a city's date from it; replaceable in tests.

    A date is always a city's own (``date_in``): "today" for a resident at 00:30 in Zhuzhou
    is Zhuzhou's date, whatever zone the server's machine keeps. ``today`` pins every
    city's date (tests that need one day and no time)."""

    today: Callable[[], dt.date] | None = None
    now: Callable[[], dt.datetime] = utc_now

    def date_in(self, zone: str = DEFAULT_TIME_ZONE) -> dt.date:
        if self.today is not None:
            return self.today()
        return self.now().astimezone(ZoneInfo(zone)).date()


@dataclass
class PermitOffice:
    store: CentralStore
    policies: dict[str, CityPolicy]
    public_url: str
    clock: Clock = field(default_factory=Clock)
    config: CentralConfig = field(default_factory=CentralConfig)
    fleet: Fleet = None  # type: ignore[assignment]  # default: on the store, config.fleet
    enrolment: Enrolment | None = None  # kiosks' keys; None: no enrolment, no signatures
    # 人证合一 against the population registry; None: this central has no registry to ask
    face_checker: FaceChecker | None = None

    def __post_init__(self) -> None:
        if self.fleet is None:
            self.fleet = Fleet(self.store.engine, self.config.fleet, clock=self.clock.now)

    def policy(self, city: str, status: int = 404) -> CityPolicy:
        found = self.policies.get(city)
        if found is None:
            raise errors.unknown_city(city, status)
        return found

    def today(self, city: str) -> dt.date:
        """The city's own date now (an unknown city: China Standard Time)."""
        policy = self.policies.get(city)
        return self.clock.date_in(policy.time_zone if policy else DEFAULT_TIME_ZONE)

    def tracking_url(self, number: str) -> str:
        return tracking.application_url(self.public_url, number)

    def eligibility(self, request: wire.EligibilityRequest,
                    on_date: dt.date | None = None) -> wire.EligibilityDecision:
        """Side-effect free: what would happen if this resident applied on that day."""
        if request.service is wire.Service.STATUS:
            raise ApiProblem(422, ApiErrorCode.WRONG_SERVICE, both("error.wrong_service"))
        policy = self.policy(request.city, status=422)
        if request.declaration is not None:
            check_address(policy, request.declaration.address)
        records = self.store.records(request.applicant.document_number, policy.code)
        try:
            day = on_date or request.on_date or self.today(policy.code)
            return decide(request, records, policy, day)
        except DeclarationMissing:
            raise ApiProblem(422, ApiErrorCode.DECLARATION_INCOMPLETE,
                             both("error.declaration_incomplete")) from None

    def records(self, request: wire.RecordsRequest) -> wire.RecordsSummary:
        """Side-effect free: shared records to offer as choices, and any certain refusal."""
        policy = self.policy(request.city, status=422)
        records = self.store.records(request.applicant.document_number, policy.code)
        return summarise(request.applicant, records, policy, self.today(policy.code))

    def status(self, number: str) -> wire.ApplicationStatus:
        app = self.store.application(number)
        if app is None:
            raise errors.unknown_application()
        return application_status(app, self.store.events(number), self.policies.get(app.city))

    def lookup(self, document_number: str) -> wire.StatusLookupResult:
        return wire.StatusLookupResult(applications=[
            application_status(app, self.store.events(app.number), self.policies.get(app.city))
            for app in self.store.applications_for(document_number)])

    def heartbeat(self, kiosk_id: str, beat: wire.Heartbeat) -> wire.HeartbeatAnswer:
        """Kept in the fleet tables; the answer brings newer settings when there are any."""
        return self.fleet.heartbeat(kiosk_id, beat)


def check_address(policy: CityPolicy, address: wire.Address) -> None:
    """Addresses are picked from the directory, so an unknown code is a kiosk bug: say so."""
    if not policy.knows_address(address):
        raise ApiProblem(422, ApiErrorCode.UNKNOWN_ADDRESS,
                         both("error.unknown_address", city=policy.name.text()))
