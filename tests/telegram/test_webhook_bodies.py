"""The webhook refuses a body that is not one update object with 400: no traceback, no 500."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Update
from telegram.ext import Application

from adapters.telegram.webhook import SECRET_HEADER, WebhookServer

TOKEN = "123456:TEST-token"
SECRET = "s3cret-value"
App = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def server() -> AsyncIterator[tuple[WebhookServer, App]]:
    application = Application.builder().token(TOKEN).build()
    webhook = WebhookServer(application, host="127.0.0.1", port=0, path="/hook", secret=SECRET)
    await webhook.start()
    webhook.accepting = True
    try:
        yield webhook, application
    finally:
        await webhook.stop()


async def post(webhook: WebhookServer, body: bytes) -> int:
    url = f"http://127.0.0.1:{webhook.port}/hook"
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.post(
        url, data=body, headers=headers
    ) as response:
        return response.status


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"[{\"update_id\": 1}]",
        b"null",
        b"42",
        b"\"text\"",
        b"{not json",
        b"",
        b"\xff\xfe",
        b"{}",
        b"{\"update_id\": \"1\"}",
        b"{\"update_id\": true}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
async def test_a_body_that_is_not_an_update_object_gets_400(
    server: tuple[WebhookServer, App],
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    webhook, application = server
    caplog.set_level(logging.WARNING)
    assert await post(webhook, body) == 400
    assert application.update_queue.empty()
    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)
    assert any("unreadable update dropped" in r.getMessage() for r in caplog.records)


async def test_an_update_object_is_queued(
    server: tuple[WebhookServer, App],
) -> None:
    webhook, application = server
    assert await post(webhook, b"{\"update_id\": 7}") == 200
    update = application.update_queue.get_nowait()
    assert isinstance(update, Update)
    assert update.update_id == 7
