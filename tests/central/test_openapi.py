"""The checked-in OpenAPI document is the contract the kiosk side reads: it must not go stale."""

from __future__ import annotations

import json
import subprocess
import sys

from central.api.app import OPENAPI_PATH, openapi_document, openapi_text
from tools.central_process import ROOT


def test_checked_in_openapi_is_current():
    assert OPENAPI_PATH.read_text(encoding="utf-8") == openapi_text(), (
        "central/openapi.json is stale: run `python -m central --write-openapi`")


def test_openapi_documents_every_route_and_the_error_body():
    doc = openapi_document()
    assert set(doc["paths"]) == {
        "/v1/health", "/v1/eligibility", "/v1/applications", "/v1/applications/lookup",
        "/v1/applications/{number}", "/v1/applications/{number}/card-printed",
        "/v1/cities/{city}/directory", "/v1/kiosks/{kiosk_id}/heartbeat", "/track/{number}",
        "/v1/records", "/track/ref/{key}", "/v1/kiosks/{kiosk_id}/enrol",
        "/v1/identity/face-check"}
    submit = doc["paths"]["/v1/applications"]["post"]
    assert {"200", "201", "400", "409", "422"} <= set(submit["responses"])
    assert submit["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    assert "HTTPValidationError" not in json.dumps(doc)  # our 422s are ApiError bodies
    assert any(p["name"] == "Idempotency-Key" for p in submit["parameters"])


def test_write_openapi_flag(tmp_path):
    target = tmp_path / "openapi.json"
    subprocess.run([sys.executable, "-m", "central", "--write-openapi", str(target)], cwd=ROOT,
                   check=True, capture_output=True, timeout=60)
    assert target.read_text(encoding="utf-8") == openapi_text()
