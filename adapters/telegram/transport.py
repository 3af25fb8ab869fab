"""An aiohttp transport for python-telegram-bot: several times faster than httpx on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from adapters.telegram.redact import scrub

_JSON = "application/json"
# A timeout as PTB passes it: seconds, None for none, or BaseRequest.DEFAULT_NONE for "not given"
# (PTB annotates it with a private alias; `object` is its public supertype).
Timeout = float | None | object


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` over one aiohttp session with a bounded connection pool."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        # aiohttp has no pool timeout of its own: a semaphore gives PTB's semantics.
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._timeout = self._client_timeout(read_timeout, write_timeout, connect_timeout)
        self._headers = {"User-Agent": self.USER_AGENT}
        self._json_headers = {"User-Agent": self.USER_AGENT, "Content-Type": _JSON}

    @staticmethod
    def _client_timeout(
        read: float | None, write: float | None, connect: float | None
    ) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            sock_connect=connect, sock_read=read, total=_total(read, write, connect)
        )

    @property
    def pool_size(self) -> int:
        """Connections (and so requests in flight) at most."""
        return self._pool_size

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (idempotent)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        """Close the session (idempotent)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one request; timeouts become TimedOut, other client errors NetworkError."""
        unset = BaseRequest.DEFAULT_NONE  # PTB's documented check: `is DEFAULT_NONE`
        if read_timeout is unset and write_timeout is unset and connect_timeout is unset:
            timeout = self._timeout
        else:
            timeout = self._client_timeout(
                _given(read_timeout, self._read_timeout),
                _given(write_timeout, self._write_timeout),
                _given(connect_timeout, self._connect_timeout),
            )
        pool = _given(pool_timeout, self._pool_timeout)
        return await self._exchange(
            method, url, _body(request_data), self._headers, timeout, pool
        )

    async def post_json(self, url: str, body: bytes) -> Any:
        """POST a ready JSON body and return the answer's `result`, failing as `post` would.

        For bulk sends: no RequestData, no form encoding, no multipart boundary per request.
        """
        try:
            code, payload = await self._exchange(
                "POST", url, body, self._json_headers, self._timeout, self._pool_timeout
            )
        except TelegramError:
            raise
        except Exception as exc:  # as BaseRequest's own wrapper does
            raise NetworkError(f"Unknown error in HTTP implementation: {exc!r}") from exc
        if 200 <= code <= 299:
            return self.parse_json_payload(payload)["result"]
        # Errors go through PTB's own mapping, so they are exactly the ones Bot calls raise.
        await _Answered(code, payload).post(url)
        raise NetworkError(f"Unexpected answer ({code})")  # pragma: no cover - post raised

    async def _exchange(
        self,
        method: str,
        url: str,
        data: Any,
        headers: dict[str, str],
        limits: aiohttp.ClientTimeout,
        pool: float | None,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        slots = self._slots
        if slots.locked():
            try:
                async with asyncio.timeout(pool):
                    await slots.acquire()
            except TimeoutError as exc:
                raise TimedOut(
                    "Pool timeout: all connections are busy; the request was not sent."
                ) from exc
        else:
            await slots.acquire()  # a free slot: taken without suspending, no timer needed
        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=limits
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(scrub(f"aiohttp.{type(exc).__name__}: {exc}")) from exc
        finally:
            slots.release()


class _Answered(BaseRequest):
    """A request whose answer is already known: lets PTB map an error answer to its exception."""

    def __init__(self, code: int, payload: bytes) -> None:
        self._answer = (code, payload)

    @property
    def read_timeout(self) -> float | None:
        """Not used."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """The known answer."""
        return self._answer


def _total(read: float | None, write: float | None, connect: float | None) -> float | None:
    """A cap on the whole request, so a server that trickles bytes cannot hold us forever."""
    parts = [t for t in (read, write, connect) if t is not None]
    if read is None or not parts:
        return None
    return sum(parts)


def _given(value: Timeout, default: float | None) -> float | None:
    """A timeout PTB passed, or ours when it passed none (`BaseRequest.DEFAULT_NONE`)."""
    if value is None or isinstance(value, int | float):
        return value
    return default


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
