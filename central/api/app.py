"""The HTTP routes: thin wrappers that read wire models, ask the permit office, answer wire models.

Every non-2xx answer under /v1 is a wire.ApiError (code + zh_CN/en sentence), whatever raised
it: our own ApiProblem, a request that does not match the contract, an unknown route.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.api.input_hygiene import InputHygiene
from central.api.kiosk_auth import KioskAuth, face_check_body_limit, signed_kiosk
from central.api.metrics import CentralMetrics
from central.api.requestlog import RequestLog
from central.api.schedule import DEFERRED_INTERVAL_S, Service, lifespan
from central.api.tracking_pages import not_found_page, pending_page, tracking_page
from central.errors import ApiProblem
from central.i18n import both, require_catalogs
from central.permits.applications import file_application
from central.permits.cards import apply_card_outcome
from central.permits.deferred import start_due_for, start_if_due
from central.permits.office import PermitOffice
from protocol import tracking, wire
from protocol.codes import ApiErrorCode, TrustCode, http_code

API_VERSION = "1.0.0"
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.json"
P = wire.API_PREFIX


def office_of(request: Request) -> PermitOffice:
    return request.app.state.office


Office = Annotated[PermitOffice, Depends(office_of)]
KioskId = Annotated[str, PathParam(pattern=wire.KIOSK_ID_PATTERN)]


def _errors(*statuses: int) -> dict:
    return {status: {"model": wire.ApiError} for status in statuses}


def create_app(office: PermitOffice | None = None,
               deferred_interval_s: float = DEFERRED_INTERVAL_S,
               services: tuple[Service, ...] = ()) -> FastAPI:
    """The application; `office` may be None only to generate the OpenAPI document.

    While it serves, due deferred applications are started every `deferred_interval_s`, and
    `services` (the alert runner) are started with it and stopped after it."""
    if office is not None:
        require_catalogs()
    app = FastAPI(title="OneTrip central API", version=API_VERSION, docs_url=None,
                  redoc_url=None, openapi_url=P + "/openapi.json",
                  lifespan=lifespan(office, deferred_interval_s, services),
                  description="Reference central API for OneTrip residence-permit kiosks. "
                              "Models are those of central/wire.py.")
    app.state.office = office
    app.state.metrics = CentralMetrics(office.fleet if office is not None else None)
    _add_error_handlers(app)
    _add_v1_routes(app)
    _add_metrics_route(app)
    _add_application_routes(app)
    _add_tracking_route(app)
    _add_identity_route(app)
    if office is not None:
        _add_dashboard(app, office)
    if office is None or office.enrolment is not None:
        _add_enrolment_route(app)
    if office is not None and office.enrolment is not None:
        app.add_middleware(KioskAuth, enrolment=office.enrolment,
                           mode=office.config.kiosks.auth,
                           key_cache_s=office.config.kiosks.key_cache_s,
                           body_limits={P + wire.FACE_CHECK_PATH: face_check_body_limit(
                               office.config.identity.max_jpeg_bytes)})
    app.add_middleware(InputHygiene)
    app.add_middleware(RequestLog)
    return app


def _add_dashboard(app: FastAPI, office: PermitOffice) -> None:
    from central.dashboard.accounts import Accounts
    from central.dashboard.routes import add_dashboard

    accounts = Accounts(office.store.engine, office.config.dashboard, clock=office.clock.now)
    add_dashboard(app, accounts, secure_cookies=office.public_url.startswith("https:"))


def _add_v1_routes(app: FastAPI) -> None:
    @app.get(P + "/health", response_model=wire.Health, responses=_errors(503))
    def health(office: Office) -> wire.Health:
        try:
            office.store.ping()
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            raise ApiProblem(503, ApiErrorCode.DATABASE_UNAVAILABLE,
                             both("error.database_unavailable")) from None
        return wire.Health(status="ok")

    @app.post(P + "/records", response_model=wire.RecordsSummary, responses=_errors(422))
    def records(request: wire.RecordsRequest, office: Office) -> wire.RecordsSummary:
        return office.records(request)

    @app.post(P + "/eligibility", response_model=wire.EligibilityDecision, responses=_errors(422))
    def eligibility(request: wire.EligibilityRequest, office: Office) -> wire.EligibilityDecision:
        return office.eligibility(request)

    @app.get(P + "/cities/{city}/directory", response_model=wire.CityDirectory,
             responses=_errors(404, 422))
    def directory(city: str, office: Office) -> wire.CityDirectory:
        return office.policy(city).directory()

    @app.post(P + "/kiosks/{kiosk_id}/heartbeat", response_model=wire.HeartbeatAnswer,
              responses=_errors(422))
    def heartbeat(kiosk_id: KioskId, beat: wire.Heartbeat, office: Office,
                  request: Request) -> wire.HeartbeatAnswer:
        started = time.perf_counter()
        answer = office.heartbeat(kiosk_id, beat)
        request.app.state.metrics.heartbeat_handled(time.perf_counter() - started)
        return answer


def _add_enrolment_route(app: FastAPI) -> None:
    @app.post(P + "/kiosks/{kiosk_id}/enrol", response_model=wire.EnrolmentAnswer,
              responses=_errors(403, 422))
    def enrol(kiosk_id: KioskId, request: wire.EnrolmentRequest,
              office: Office) -> wire.EnrolmentAnswer:
        """A new kiosk's key, with a one-time code; the answer is central's key to pin."""
        if office.enrolment is None:  # a central without kiosk keys does not enrol
            raise ApiProblem(404, ApiErrorCode.NOT_FOUND, both("error.not_found"))
        central_key = office.enrolment.enrol(kiosk_id, request.code, request.public_key)
        return wire.EnrolmentAnswer(kiosk_id=kiosk_id, hall_id=office.fleet.hall_of(kiosk_id),
                                    central_public_key=central_key)


def _add_metrics_route(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format: the fleet's figures (central/metrics.py)."""
        body, content_type = request.app.state.metrics.exposition()
        return Response(body, media_type=content_type)


def _add_application_routes(app: FastAPI) -> None:
    @app.post(P + "/applications", response_model=wire.ApplicationReceipt, status_code=201,
              responses={200: {"model": wire.ApplicationReceipt,
                               "description": "Replay: this key was seen with this body."},
                         **_errors(400, 409, 422)})
    def submit(submission: wire.ApplicationSubmission, response: Response, office: Office,
               idempotency_key: Annotated[str | None, Header(alias=wire.IDEMPOTENCY_HEADER)] = None,
               ) -> wire.ApplicationReceipt:
        receipt, created = file_application(office, submission, idempotency_key)
        if not created:
            response.status_code = 200
        return receipt

    @app.post(P + "/applications/lookup", response_model=wire.StatusLookupResult,
              responses=_errors(422))
    def lookup(query: wire.StatusLookup, office: Office) -> wire.StatusLookupResult:
        start_due_for(office, query.document_number)
        return office.lookup(query.document_number)

    @app.get(P + "/applications/{number}", response_model=wire.ApplicationStatus,
             responses=_errors(404, 422))
    def status(number: str, office: Office) -> wire.ApplicationStatus:
        start_if_due(office, number)
        return office.status(number)

    @app.post(P + "/applications/{number}/card-printed", response_model=wire.ApplicationStatus,
              responses=_errors(404, 409, 422))
    def card_printed(number: str, outcome: wire.CardPrintOutcome,
                     office: Office) -> wire.ApplicationStatus:
        return apply_card_outcome(office, number, outcome)


def _add_identity_route(app: FastAPI) -> None:
    @app.post(P + wire.FACE_CHECK_PATH, response_model=wire.RegistryFaceCheck,
              responses=_errors(401, 413, 422, 429, 501, 503))
    def registry_face_check(check: wire.RegistryFaceCheckRequest, office: Office,
                            request: Request) -> wire.RegistryFaceCheck:
        """人证合一 against the population registry: a verdict and a distance, nothing of the
        resident. Only a kiosk whose signature was checked may ask, whatever the auth mode."""
        kiosk_id = signed_kiosk(request)
        if kiosk_id is None:
            raise ApiProblem(401, TrustCode.KIOSK_NOT_SIGNED, both("trust.kiosk_not_signed"))
        if office.face_checker is None:
            raise ApiProblem(501, ApiErrorCode.REGISTRY_UNAVAILABLE,
                             both("error.registry_unavailable"))
        return office.face_checker.check(kiosk_id, check)


def _add_tracking_route(app: FastAPI) -> None:
    @app.get(tracking.REFERENCE_PATH + "{key}", response_class=HTMLResponse,
             responses={303: {"description": "Known: on to /track/{number}"},
                        202: {"content": {"text/html": {}}}, **_errors(422)})
    def track_reference(key: str, office: Office) -> Response:
        """A receipt printed while central was unreachable carries the kiosk's reference."""
        row = office.store.application_by_key(key)
        if row is not None:
            return RedirectResponse(tracking.TRACK_PATH + row.number, status_code=303)
        return HTMLResponse(pending_page(), status_code=202, headers={"Cache-Control": "no-store"})

    @app.get(tracking.TRACK_PATH + "{number}", response_class=HTMLResponse,
             responses={404: {"content": {"text/html": {}}}, **_errors(422)})
    def track(number: str, office: Office) -> HTMLResponse:
        """The human page behind the receipt's QR code (tracking_url)."""
        headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
        start_if_due(office, number)
        try:
            status = office.status(number)
        except ApiProblem:
            return HTMLResponse(not_found_page(number), status_code=404, headers=headers)
        return HTMLResponse(tracking_page(status), headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return JSONResponse(exc.body().model_dump(mode="json"), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_invalid_request(exc).model_dump(mode="json"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = _http_error(exc.status_code)
        return JSONResponse(body.model_dump(mode="json"), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))


def _invalid_request(exc: RequestValidationError) -> wire.ApiError:
    """Where the request is wrong and why, without echoing the values (they may be personal)."""
    problems = ["{}: {}".format(".".join(str(p) for p in e.get("loc", ())), e.get("msg", ""))
                for e in exc.errors()[:5]]
    fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()[:5])
    # The checker's messages are English: the Chinese sentence names the fields only.
    details = wire.Text(zh_CN=fields, en="; ".join(problems))
    return wire.ApiError(code=ApiErrorCode.INVALID_REQUEST.value,
                         message=both("error.invalid_request", details=details))


def _http_error(status: int) -> wire.ApiError:
    if status == 404:
        return wire.ApiError(code=ApiErrorCode.NOT_FOUND.value, message=both("error.not_found"))
    if status == 405:
        return wire.ApiError(code=ApiErrorCode.METHOD_NOT_ALLOWED.value,
                             message=both("error.method_not_allowed"))
    return wire.ApiError(code=http_code(status), message=both("error.http", status=status))


def openapi_document() -> dict:
    """The contract as OpenAPI, generated from the routes and central.wire (no database)."""
    return create_app(None).openapi()


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def write_openapi(path: Path = OPENAPI_PATH) -> Path:
    path.write_text(openapi_text(), encoding="utf-8")
    return path
