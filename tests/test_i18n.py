"""The Russian and Korean catalogs cover every message the code shows, and keep its placeholders."""

from __future__ import annotations

import gettext
import re
import string
import tomllib
from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import (
    LOCALES,
    catalog,
    normalize_language,
    translate,
    translate_plural,
)
from bot.i18n import translations as runtime_translations
from bot.i18n.catalogs import extract_template, update_catalog
from bot.i18n.extract import (
    ROOT,
    RUNTIME_MESSAGES,
    Extraction,
    Site,
    extract,
    python_files,
)

LANGUAGES = ("ru", "ko")
PLURAL_COUNTS = {"ru": 3, "ko": 1}
SCRIPTS = {"ru": re.compile("[А-Яа-яЁё]"), "ko": re.compile("[가-힣]")}

# Announcement and delivery states /stats shows through ctx.t(status) and ctx.t(state).
STATE_WORDS = (
    "published",
    "scheduled",
    "draft",
    "retracted",
    "sent",
    "pending",
    "failed",
    "dead",
    "skipped",
)

# Messages other helpers are adding (message → who); translated ahead, not obsolete meanwhile.
PENDING: dict[str, str] = {}

# translate calls with a variable message, and where that variable's messages come from.
DYNAMIC_CALLS = {
    ("bot/commands/context.py", "message"): "Context.t itself",
    ("bot/commands/context.py", "singular"): "Context.tn itself",
    ("bot/commands/member.py", "description"): "MEMBER_HELP / ADMIN_HELP rows",
    ("bot/commands/member.py", "usage"): "N_() usage placeholders in MEMBER_HELP / ADMIN_HELP",
    ("bot/commands/router.py", "route.description"): "Route(...) descriptions in ROUTES",
    ("bot/commands/admin.py", "state"): "STATE_WORDS (delivery states)",
    ("adapters/discord/interactions.py", "name"): "N_() Discord permission names",
    ("adapters/discord/commands.py", "string.message"): "N_() slash command descriptions",
    ("bot/photos.py", "message"): "N_() photo refusals in bot.photos.MESSAGES",
    ("bot/commands/feeds.py", "_SOURCE_ERRORS[error.reason]"): "N_() refusals in _SOURCE_ERRORS",
}

# Translations that rightly have no letters of their own script.
NO_SCRIPT = {("ko", "{ordinal} anniversary")}  # the Korean ordinal is the whole "81주년"

_TOKENS = re.compile(r"/[a-z]+|YYYY-MM-DD|HH:MM|--MM-DD|PLATFORM:USER_ID|\bID\b")


@cache
def extraction() -> Extraction:
    return extract(python_files())


def expected() -> set[str]:
    return set(extraction().messages) | set(STATE_WORDS)


@cache
def po(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "herald.po").open("rb") as handle:
        return read_po(handle, locale=language)


def translations(language: str) -> dict[str, str]:
    return {
        str(m.id): m.string
        for m in po(language)
        if m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def plural_translations(language: str) -> dict[str, tuple[str, ...]]:
    """Singular msgid → its translated forms, for entries with every form filled in."""
    return {
        str(m.id[0]): tuple(m.string)
        for m in po(language)
        if isinstance(m.id, tuple)
        and isinstance(m.string, tuple)
        and len(m.string) == PLURAL_COUNTS[language]
        and all(m.string)
        and not m.fuzzy
    }


def entries(compiled: Catalog) -> dict[object, object]:
    """msgid → msgstr of a catalog read from a .mo (plural ids and forms as tuples)."""

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(m.id): plain(m.string) for m in compiled if m.id}


def plural_index(language: str) -> Callable[[int], int]:
    """Which plural form the shipped catalog's ngettext picks for a number."""
    one, many = (
        "Announcement #{id} published; it goes to {count} chat.",
        "Announcement #{id} published; it goes to {count} chats.",
    )
    forms = plural_translations(language)[one]
    assert len(set(forms)) == len(forms)  # each form tells which one ngettext chose
    return lambda n: forms.index(runtime_translations(language).ngettext(one, many, n))


def msgids(language: str) -> set[str]:
    return {str(m.id[0] if isinstance(m.id, tuple) else m.id) for m in po(language) if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_extraction_finds_the_known_kinds_of_message() -> None:
    found = set(extraction().messages)
    assert "Unknown command /{name}. Send /help for the list." in found  # translate(lang, ...)
    assert "Welcome to Herald!" in found  # ctx.t(...)
    assert "Page {page} of {pages}" in found  # t(...) in bot/render.py
    assert "Start here" in found  # Route(handler, "...")
    assert "Manage admins (owners only)" in found  # ADMIN_HELP description
    assert any(m.startswith("Usage: /anniversary add") for m in found)  # ANNIVERSARY_USAGE
    assert "{actor} was not an admin." in found  # key = ... if ... else ...; ctx.t(key)
    assert {"published", "scheduled", "draft", "retracted"} <= found  # for status in (...)
    assert "a draft" in found  # _wrong_state's dict values
    assert "Something went wrong; the error was logged." in found  # translate(lang, CONSTANT)
    assert "View Channel" in found  # N_() in an adapter
    assert "Page number" in found  # N_() option description in a discord.py decorator


def test_extractor_rules_on_a_small_module(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "from bot.i18n import N_, translate\n"
        'X_USAGE = "usage"\n'
        'X_HELP = (("cmd", "ARG", "help row"),)\n'
        'MARKED = N_("marked")\n'
        'R = Route(handler, "route")\n'
        "def f(ctx, t, flag, variable):\n"
        '    ctx.t("first")\n'
        '    t("render")\n'
        '    translate("ru", "second")\n'
        '    t("ru", MARKED if flag else "inline")\n'
        '    key = "yes" if flag else "no"\n'
        "    ctx.t(key)\n"
        '    for word in ("one", "two"):\n'
        "        ctx.t(word)\n"
        '    ctx.t(f"{variable}")\n'
        "    ctx.t(variable)\n"
        '    "x".translate({})\n'
        '    ctx.tn("one {n} thing", "{n} things", n, n=n)\n'
        '    translate_plural("ru", "a day", "{n} days", n, n=n)\n'
    )
    result = extract([source], root=tmp_path)
    assert set(result.messages) == {
        "usage",
        "help row",
        "marked",
        "route",
        "first",
        "render",
        "second",
        "inline",
        "yes",
        "no",
        "one",
        "two",
        "one {n} thing",
        "a day",
    }
    assert result.plurals == {"one {n} thing": "{n} things", "a day": "{n} days"}
    assert [expression for _, expression in result.dynamic] == ["f'{variable}'", "variable"]
    assert result.messages["first"] == [Site("sample.py", 7)]


def test_every_dynamic_translate_call_is_accounted_for() -> None:
    unknown = [
        f"{site}: {expression}"
        for site, expression in extraction().dynamic
        if (site.path, expression) not in DYNAMIC_CALLS
    ]
    assert unknown == []


def test_runtime_messages_are_the_delivery_states() -> None:
    assert set(RUNTIME_MESSAGES) <= set(STATE_WORDS)
    assert set(STATE_WORDS) - set(RUNTIME_MESSAGES) <= set(extraction().messages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_header(language: str) -> None:
    catalog_ = po(language)
    assert str(catalog_.locale) == language
    assert catalog_.charset == "utf-8"
    assert catalog_.num_plurals == PLURAL_COUNTS[language]
    assert not catalog_.fuzzy
    header = catalog_.mime_headers
    assert ("Language", language) in header
    assert any(k == "Plural-Forms" and "nplurals=" in v for k, v in header)
    assert ("Content-Type", "text/plain; charset=utf-8") in header


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    plurals = set(extraction().plurals)
    done = set(translations(language)) - plurals
    assert sorted(expected() - plurals - done) == []
    assert sorted(plurals - set(plural_translations(language))) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_messages_are_plural_entries_with_every_form(language: str) -> None:
    entries = {str(m.id[0]): m for m in po(language) if isinstance(m.id, tuple)}
    for singular, plural in extraction().plurals.items():
        assert singular in entries, singular
        assert entries[singular].id == (singular, plural)
    wrong = []
    for singular, forms in plural_translations(language).items():
        names = fields(singular) | fields(extraction().plurals.get(singular, ""))
        for form in forms:
            if fields(form) - names or not fields(form):
                wrong.append((singular, form))
    assert wrong == []


def test_plural_forms_follow_each_language() -> None:
    one, many = "it goes to {count} chat", "it goes to {count} chats"
    assert translate_plural("en", one, many, 1, count=1) == "it goes to 1 chat"
    assert translate_plural("en", one, many, 21, count=21) == "it goes to 21 chats"
    # Russian's three forms: 1, 21 (one) / 2-4, 22 (few) / 5-20, 11, 0 (many).
    rule = plural_index("ru")
    forms = {0: (1, 21, 101), 1: (2, 4, 22), 2: (0, 5, 11, 12, 14, 20, 111)}
    assert {n: rule(n) for ns in forms.values() for n in ns} == {
        n: form for form, ns in forms.items() for n in ns
    }
    assert {plural_index("ko")(n) for n in (0, 1, 2, 5, 100)} == {0}
    published = (
        "Announcement #{id} published; it goes to {count} chat.",
        "Announcement #{id} published; it goes to {count} chats.",
    )
    said = [translate_plural("ru", *published, n, id=7, count=n) for n in (1, 3, 5)]
    assert [text.split(" в ")[-1] for text in said] == ["1 чат.", "3 чата.", "5 чатов."]
    # A message without a translation falls back to the English forms.
    assert translate_plural("ru", one, many, 3, count=3) == "it goes to 3 chats"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_fuzzy_entries(language: str) -> None:
    assert [str(m.id) for m in po(language) if m.id and m.fuzzy] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_obsolete_messages(language: str) -> None:
    ids = msgids(language)
    assert sorted(ids - expected() - set(PENDING)) == []
    assert not po(language).obsolete


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_format(language: str) -> None:
    wrong = []
    for message, text in translations(language).items():
        names = fields(message)
        if fields(text) != names:
            wrong.append((message, text))
            continue
        values = dict.fromkeys(names, "X")
        assert text.format(**values)
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_commands_formats_and_edges(language: str) -> None:
    wrong = []
    for message, text in translations(language).items():
        kept = set(_TOKENS.findall(message)) <= set(_TOKENS.findall(text))
        edges = (message[:1].isspace(), message[-1:].isspace()) == (
            text[:1].isspace(),
            text[-1:].isspace(),
        )
        if not kept or not edges:
            wrong.append((message, text))
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_in_the_language(language: str) -> None:
    script = SCRIPTS[language]
    untranslated = [
        message
        for message, text in translations(language).items()
        if not script.search(text) and (language, message) not in NO_SCRIPT
    ]
    assert untranslated == []


def test_russian_addresses_the_reader_as_vy() -> None:
    informal = re.compile(r"\b(ты|тебя|тебе|твой|твои|твоя|твоё)\b", re.IGNORECASE)
    assert [text for text in translations("ru").values() if informal.search(text)] == []


def test_korean_uses_plain_polite_endings() -> None:
    plain = re.compile(r"(한다|했다|된다|없다|있다|이다|해라)[.!?]?$")
    assert [text for text in translations("ko").values() if plain.search(text)] == []


def test_korean_keeps_to_the_formal_style() -> None:
    # 합니다 style throughout: requests end in 주십시오, not the 해요 style's 주세요.
    casual = re.compile(r"요[.!?:]?(\s|$)")
    assert [text for text in translations("ko").values() if casual.search(text)] == []


def test_translate_uses_the_catalogs() -> None:
    text = translate("ru", "Unknown command /{name}. Send /help for the list.", name="x")
    assert text == "Неизвестная команда /x. Список команд: /help."
    assert translate("ko", "Language set to English.") == "언어: 한국어."
    assert translate("ru", "Language set to English.") == "Язык: русский."
    assert translate("ko", "in {days} days", days=3) == "3일 후"
    assert translate("ru", "in {days} days", days=3) == "через 3 дн."


def test_translate_falls_back_to_english() -> None:
    assert translate("xx", "Found {count}", count=2) == "Found 2"
    assert translate("en", "Found {count}", count=2) == "Found 2"
    assert translate("ru", "A message no catalog has") == "A message no catalog has"
    assert catalog("xx") == {}


def test_normalize_language() -> None:
    assert normalize_language("ru-RU") == "ru"
    assert normalize_language("ko_KR") == "ko"
    assert normalize_language("EN") == "en"
    assert normalize_language("de") is None
    assert normalize_language(None) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogs_are_up_to_date_with_the_po_files(language: str) -> None:
    # The .mo beside each .po must be what `pybabel compile` makes of it now; when this
    # fails, run `python3 dev.py i18n` and commit the .mo files.
    buffer = BytesIO()
    write_mo(buffer, po(language))
    buffer.seek(0)
    fresh = read_mo(buffer)
    with (LOCALES / language / "LC_MESSAGES" / "herald.mo").open("rb") as handle:
        shipped = read_mo(handle)
    assert entries(shipped) == entries(fresh), "stale .mo: run python3 dev.py i18n"
    assert shipped.plural_forms == po(language).plural_forms


def test_translations_come_from_the_compiled_catalogs() -> None:
    assert isinstance(runtime_translations("ru"), gettext.GNUTranslations)
    assert isinstance(runtime_translations("ko"), gettext.GNUTranslations)
    assert not isinstance(runtime_translations("en"), gettext.GNUTranslations)
    assert not isinstance(runtime_translations("../ru"), gettext.GNUTranslations)
    assert catalog("ru")["Welcome to Herald!"] == translate("ru", "Welcome to Herald!")


def test_the_package_ships_the_compiled_catalogs() -> None:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        config = tomllib.load(handle)
    patterns = config["tool"]["setuptools"]["package-data"]["bot.i18n"]
    shipped = {path for pattern in patterns for path in LOCALES.parent.glob(pattern)}
    compiled = set(LOCALES.glob("*/LC_MESSAGES/herald.mo"))
    assert {path.parent.parent.name for path in compiled} == set(LANGUAGES)
    assert compiled <= shipped


def test_pybabel_extract_finds_what_the_extractor_finds(tmp_path: Path) -> None:
    # `pybabel extract` with the method pyproject.toml names: the template the catalogs
    # are updated from holds exactly the messages (and plurals) the rules find.
    pot = tmp_path / "herald.pot"
    assert extract_template(pot) == 0
    with pot.open("rb") as handle:
        template_ = read_po(handle)
    singles = {str(m.id) for m in template_ if m.id and not isinstance(m.id, tuple)}
    plurals = {m.id[0]: m.id[1] for m in template_ if isinstance(m.id, tuple)}
    assert singles | set(plurals) == set(extraction().messages)
    assert plurals == extraction().plurals
    assert set(RUNTIME_MESSAGES) <= singles


def test_update_catalog_adds_new_drops_unused_and_keeps_translations(tmp_path: Path) -> None:
    path = tmp_path / "ru" / "LC_MESSAGES" / "herald.po"
    site = Site("bot/x.py", 1)
    update_catalog(path, "ru", {"Kept": [site], "Dropped": [site]})
    with path.open("rb") as handle:
        first = read_po(handle, locale="ru")
    first["Kept"].string = "Сохранено"
    first["Dropped"].string = "Удалено"
    with path.open("wb") as handle:
        write_po(handle, first)
    update_catalog(path, "ru", {"Kept": [site], "New {name}": [site]})
    with path.open("rb") as handle:
        second = read_po(handle, locale="ru")
    assert {str(m.id): m.string for m in second if m.id} == {"Kept": "Сохранено", "New {name}": ""}
    assert not second.obsolete
    assert second.num_plurals == 3
    assert "Language: ru" in path.read_text(encoding="utf-8")
