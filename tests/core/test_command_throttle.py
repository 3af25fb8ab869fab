"""Per-user command limits: the token bucket alone, then through the real core on a database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Herald, open_herald
from bot.commands.throttle import BucketSize, CommandThrottle, Verdict
from bot.commands.types import Command
from bot.domain import ChatKind
from bot.settings import Settings

MEMBER = BucketSize(burst=10, interval=2.0)
ADMIN = BucketSize(burst=60, interval=0.5)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _verdicts(throttle: CommandThrottle, n: int, *, actor: str = "telegram:7",
              admin: bool = False) -> list[Verdict]:
    return [throttle.admit(actor, admin=admin) for _ in range(n)]


def test_a_burst_of_ten_then_one_notice_then_silence() -> None:
    throttle = CommandThrottle(MEMBER, ADMIN, clock=Ticks())
    verdicts = _verdicts(throttle, 350)
    assert verdicts[:10] == [Verdict.RUN] * 10
    assert verdicts[10] is Verdict.NOTICE
    assert set(verdicts[11:]) == {Verdict.DROP}


def test_one_command_per_two_seconds_after_the_burst() -> None:
    ticks = Ticks()
    throttle = CommandThrottle(MEMBER, ADMIN, clock=ticks)
    _verdicts(throttle, 11)  # burst spent, notice given
    ticks.now += 1.9
    assert throttle.admit("telegram:7", admin=False) is Verdict.DROP
    ticks.now += 0.1
    assert throttle.admit("telegram:7", admin=False) is Verdict.RUN
    assert throttle.admit("telegram:7", admin=False) is Verdict.DROP


def test_commands_are_counted_when_they_arrived() -> None:
    ticks = Ticks()
    throttle = CommandThrottle(MEMBER, ADMIN, clock=ticks)
    arrived = ticks.now
    ticks.now += 30.0  # their turns come long after they arrived (answers before them waited)
    verdicts = [throttle.admit("telegram:7", admin=False, at=arrived + i * 0.01)
                for i in range(40)]
    assert verdicts.count(Verdict.RUN) == 10
    # A command that comes up out of arrival order (another chat) refills nothing backwards.
    assert throttle.admit("telegram:7", admin=False, at=arrived) is Verdict.DROP


def test_at_most_one_notice_per_window() -> None:
    ticks = Ticks()
    throttle = CommandThrottle(MEMBER, ADMIN, clock=ticks)
    notices = 0
    for _ in range(600):  # a command every 0.1 s for a minute
        notices += throttle.admit("telegram:7", admin=False) is Verdict.NOTICE
        ticks.now += 0.1
    assert MEMBER.window == 20.0
    assert notices == 3  # at 1 s, 21 s and 41 s


def test_admins_get_a_larger_bucket_not_an_exemption() -> None:
    throttle = CommandThrottle(MEMBER, ADMIN, clock=Ticks())
    verdicts = _verdicts(throttle, 100, actor="telegram:1", admin=True)
    assert verdicts[:60] == [Verdict.RUN] * 60
    assert verdicts[60] is Verdict.NOTICE
    assert Verdict.RUN not in verdicts[61:]


def test_users_do_not_share_buckets() -> None:
    throttle = CommandThrottle(MEMBER, ADMIN, clock=Ticks())
    _verdicts(throttle, 50, actor="telegram:7")
    assert throttle.admit("telegram:8", admin=False) is Verdict.RUN
    assert throttle.admit("discord:7", admin=False) is Verdict.RUN


def test_refilled_buckets_are_forgotten_so_memory_stays_bounded() -> None:
    ticks = Ticks()
    throttle = CommandThrottle(MEMBER, ADMIN, clock=ticks)
    for user in range(10_000):
        throttle.admit(f"telegram:{user}", admin=False)
    ticks.now += 2.0  # each of them is full again
    throttle.admit("telegram:new", admin=False)
    assert len(throttle._buckets) == 1


def test_the_local_operator_is_not_counted() -> None:
    throttle = CommandThrottle(MEMBER, ADMIN)
    assert not throttle.applies_to("console")
    assert not throttle.applies_to("cli")
    assert throttle.applies_to("telegram")
    assert throttle.applies_to("discord")


@pytest.fixture
async def herald(tmp_path: Path) -> AsyncIterator[Herald]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}",
        admins="telegram:1",
        _env_file=None,
    )
    herald = await open_herald(settings)
    throttle = herald.router.throttle
    assert throttle is not None
    assert (throttle.member, throttle.admin) == (MEMBER, ADMIN)  # the defaults
    # The defaults' sizes, refilling slowly: a loaded machine must not refill a token mid-test.
    herald.router.throttle = CommandThrottle(BucketSize(10, 3600.0), BucketSize(60, 3600.0))
    try:
        yield herald
    finally:
        await herald.close()


def _command(line: str, user: str = "7", **options: object) -> Command:
    return Command(
        platform="telegram",
        chat_id=user,
        chat_kind=ChatKind.PRIVATE,
        user_id=user,
        text=line,
        **options,  # type: ignore[arg-type]
    )


async def test_the_core_drops_a_flood_and_says_so_once_in_the_users_language(
    herald: Herald,
) -> None:
    replies = [await herald.router.handle(_command("/help", language_hint="ru")) for _ in range(30)]
    answered = [reply for reply in replies[:10] if reply is not None]
    assert len(answered) == 10
    assert all("/subscribe" in reply.plain() for reply in answered)
    notice = replies[10]
    assert notice is not None
    assert notice.ephemeral
    assert notice.plain().startswith("Вы отправляете команды быстрее")
    assert replies[11:] == [None] * 19
    # Someone else is not slowed down by it.
    other = await herald.router.handle(_command("/help", user="8"))
    assert other is not None
    assert "/subscribe" in other.plain()


async def test_the_notice_follows_the_chats_chosen_language(herald: Herald) -> None:
    assert await herald.router.handle(_command("/lang ko")) is not None
    replies = [await herald.router.handle(_command("/tags")) for _ in range(10)]  # /lang was 1st
    notice = replies[-1]
    assert notice is not None
    assert notice.plain().startswith("답할 수 있는 것보다 빠르게")


async def test_an_admin_floods_further_but_is_stopped_too(herald: Herald) -> None:
    replies = [await herald.router.handle(_command("/help", user="1")) for _ in range(70)]
    assert all(reply is not None for reply in replies[:61])
    assert replies[60] is not None
    assert "faster than I can answer" in replies[60].plain()
    assert replies[61:] == [None] * 9


async def test_asking_for_a_refusal_spends_no_token(herald: Herald) -> None:
    router = herald.router
    for _ in range(10):
        assert await router.refusal(_command("/post", user="9")) is not None  # not an admin
    help_ = await router.handle(_command("/help", user="9"))
    assert help_ is not None
    assert "/subscribe" in help_.plain()


async def test_the_console_operator_is_never_throttled(herald: Herald) -> None:
    for _ in range(100):
        reply = await herald.router.handle(
            Command(platform="console", chat_id="console", chat_kind=ChatKind.CONSOLE,
                    user_id="me", text="/help")
        )
        assert reply is not None
        assert "faster" not in reply.plain()


def test_settings_name_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_COMMAND_BURST", "3")
    monkeypatch.setenv("HERALD_COMMAND_INTERVAL", "5")
    monkeypatch.setenv("HERALD_ADMIN_COMMAND_BURST", "30")
    monkeypatch.setenv("HERALD_ADMIN_COMMAND_INTERVAL", "1.5")
    settings = Settings(_env_file=None)
    assert (settings.command_burst, settings.command_interval) == (3, 5.0)
    assert (settings.admin_command_burst, settings.admin_command_interval) == (30, 1.5)
    monkeypatch.setenv("HERALD_COMMAND_BURST", "0")
    with pytest.raises(ValueError, match="command_burst"):
        Settings(_env_file=None)
