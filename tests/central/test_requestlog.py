"""The request log and the last line of defence, in process: no personal data in either."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import httpx
from fastapi import FastAPI

from central.api.requestlog import RequestLog
from protocol import wire
from tools.central_process import ROOT

SECRET = "430502199003151236"


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/people/{number}")
    def person(number: str) -> dict:
        return {"ok": True}

    @app.get("/v1/boom/{number}")
    def boom(number: str) -> dict:
        raise RuntimeError(f"database said no to {number}")

    app.add_middleware(RequestLog)
    return app


def get(*paths: str) -> list[httpx.Response]:
    """GET each path from the app in process (errors become responses, as under uvicorn)."""
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://central") as client:
            return [await client.get(path) for path in paths]
    return asyncio.run(run())


def test_route_template_is_logged_not_the_path(caplog):
    caplog.set_level(logging.INFO, logger="central.request")
    ok, missing = get(f"/v1/people/{SECRET}", f"/nowhere/{SECRET}")
    assert ok.status_code == 200 and missing.status_code == 404
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("GET /v1/people/{number} 200 ")
    assert lines[1].startswith("GET (no route) 404 ")
    assert SECRET not in caplog.text


def test_unexpected_error_is_a_500_api_error_logged_by_type_only(caplog):
    caplog.set_level(logging.INFO, logger="central.request")
    (resp,) = get(f"/v1/boom/{SECRET}")
    assert resp.status_code == 500
    assert wire.ApiError.model_validate_json(resp.content).code == "internal_error"
    assert "unhandled RuntimeError on GET /v1/boom/{number}" in caplog.text
    assert SECRET not in caplog.text and "database said no" not in caplog.text


def test_a_broken_policy_directory_stops_the_server_with_file_and_key(tmp_path):
    (tmp_path / "zhuzhou.toml").write_text('code = "zhuzhou"\nshoe_size = 42\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "central", "--policies", str(tmp_path),
                           "--database", f"sqlite:///{tmp_path / 'c.db'}", "--port", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "zhuzhou.toml" in done.stderr and "unknown key 'shoe_size'" in done.stderr
    assert "Traceback" not in done.stderr
