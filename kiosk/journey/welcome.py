"""The attract screen, the language and the menu; and who a restart cut off."""

from __future__ import annotations

from kiosk.effects.recovery import Recovered
from kiosk.errors import InvalidInput
from kiosk.journey.availability import AvailabilityPhase
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.table import Trigger
from protocol import wire


class WelcomePhase:
    """From the first tap to the service the resident came for."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore, availability: AvailabilityPhase) -> None:
        self.ctx, self.core, self.availability = ctx, core, availability
        self.recovered: list[Recovered] = []  # cut off by a restart: the attract screen shows
        self._session_menu: list[wire.Service] | None = None

    def show_recovered(self, recovered: list[Recovered]) -> None:
        """Applications a restart cut off (``kiosk.effects.recovery``): the attract screen
        shows them, with the QR code where no receipt came out, until the window passes or
        the next resident starts."""
        self.recovered = list(recovered)
        self.core.notify()

    def recovered_now(self) -> list[Recovered]:
        now = self.ctx.now().astimezone()
        self.recovered = [r for r in self.recovered if r.until > now]
        return self.recovered

    def services_offered(self) -> list[wire.Service]:
        """The menu. A session keeps the menu it started with."""
        if self._session_menu is not None:
            return list(self._session_menu)
        return self.availability.enabled_services()

    def begin(self) -> None:
        self.core.expect(Trigger.BEGIN)
        if not self.availability.may_begin():
            return
        self.recovered = []  # whoever was cut off has gone: a new resident is here
        self._session_menu = self.availability.enabled_services()
        self.core.begin_session()
        self.core.fire(Trigger.BEGIN)

    def choose_language(self, language: str) -> None:
        self.core.expect(Trigger.CHOOSE_LANGUAGE)
        if language not in self.ctx.config.journey.languages:
            raise InvalidInput(code="language", detail=language)
        self.core.session.language = language
        self.core.fire(Trigger.CHOOSE_LANGUAGE)

    def change_language(self) -> None:
        self.core.fire(Trigger.CHANGE_LANGUAGE)

    def choose_service(self, service: wire.Service) -> None:
        self.core.expect(Trigger.CHOOSE_SERVICE)
        if service not in self.services_offered():
            raise InvalidInput(code="service_not_offered", detail=str(service))
        self.core.session.service = service
        self.core.fire(Trigger.CHOOSE_SERVICE)

    def forget(self) -> None:
        """The session ended: the next one starts from the menu in force then."""
        self._session_menu = None
