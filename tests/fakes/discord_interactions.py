"""Interaction payloads a test injects into the fake gateway: slash, autocomplete, button, modal."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.discord_payloads import (
    ADMIN_PERMISSIONS,
    DM,
    JSON,
    LOADING,
    MEMBER_PERMISSIONS,
    FakeChannel,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    member_payload,
    new_id,
)

SLASH = 2
COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5


def option(name: str, value: Any, *, focused: bool = False) -> JSON:
    """One command option with Discord's type code for the value."""
    if isinstance(value, bool):
        kind = 5
    elif isinstance(value, int):
        kind = 4
    elif isinstance(value, float):
        kind = 10
    else:
        kind = 3
    data: JSON = {"name": name, "type": kind, "value": value}
    if focused:
        data["focused"] = True
    return data


def command_data(
    name: str, options: dict[str, Any], subcommand: str | None, focused: str | None
) -> JSON:
    """The `data` of an application command interaction."""
    opts = [option(k, v, focused=k == focused) for k, v in options.items()]
    if subcommand is not None:
        opts = [{"name": subcommand, "type": 1, "options": opts}]
    return {"id": str(new_id()), "name": name, "type": 1, "options": opts}


def interaction(
    *,
    kind: int,
    application_id: int,
    channel: FakeChannel,
    user: FakeUser,
    admin: bool,
    data: JSON,
    locale: str = "en-US",
    message: FakeMessage | None = None,
) -> FakeInteraction:
    """Build an interaction in `channel` from `user`; `admin` grants Manage Channels."""
    interaction_id = new_id()
    token = f"itoken-{interaction_id}"
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "data": data,
        "channel_id": str(channel.id),
        "channel": channel.payload(),
        "locale": locale,
        "app_permissions": str(channel.bot_permissions),
        "attachment_size_limit": 8 * 1024 * 1024,
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(channel.guild_id or 0)},
        "context": 1 if channel.type == DM else 0,
    }
    if channel.type == DM:
        payload["user"] = user.payload()
    else:
        payload["guild_id"] = str(channel.guild_id)
        payload["guild_locale"] = "en-US"
        permissions = ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS
        payload["member"] = member_payload(user, permissions)
    if message is not None:
        payload["message"] = message.payload()
    return FakeInteraction(
        interaction_id,
        token,
        kind,
        payload,
        channel.id,
        time.monotonic(),
        source_message_id=message.id if message else None,
    )


def modal_submission(modal: JSON, values: dict[str, str]) -> JSON:
    """The `data` of a modal submit; `values` maps each text input's custom_id or label."""
    components: list[JSON] = []
    for top in modal["components"]:
        if top["type"] == 1:
            inner = top["components"][0]
            label = inner.get("label")
            value = values.get(inner["custom_id"], values.get(label or "", ""))
            field = {"type": inner["type"], "custom_id": inner["custom_id"], "value": value}
            components.append({"type": 1, "components": [field]})
        elif top["type"] == 18:
            inner = top["component"]
            value = values.get(inner["custom_id"], values.get(top.get("label", ""), ""))
            field = {"type": inner["type"], "custom_id": inner["custom_id"], "value": value}
            components.append({"type": 18, "component": field})
    return {"custom_id": modal["custom_id"], "components": components}


class InjectInteractions:
    """What a test does as a Discord user: run slash commands, type, press, submit (a mixin)."""

    application_id: int
    channels: dict[int, FakeChannel]
    messages: dict[int, FakeMessage]
    interactions: dict[int, FakeInteraction]
    # Provided by the class this is mixed into (FakeDiscord): send a gateway event; wait for
    # a condition.
    dispatch: Callable[[str, JSON], Awaitable[None]]
    wait_until: Callable[..., Awaitable[None]]

    async def _inject(self, interaction: FakeInteraction) -> FakeInteraction:
        self.interactions[interaction.id] = interaction
        interaction.created = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser,
        channel: FakeChannel,
        admin: bool = False,
        subcommand: str | None = None,
        locale: str = "en-US",
        attachments: dict[str, JSON] | None = None,
    ) -> FakeInteraction:
        """A member runs `/name` with `options` (admin: has Manage Channels there).

        `attachments` maps attachment options to attachment objects (FakeAttachments.store).
        """
        data = command_data(name, options or {}, subcommand, None)
        for option_name, attachment in (attachments or {}).items():
            data["options"].append({"name": option_name, "type": 11, "value": attachment["id"]})
            resolved = data.setdefault("resolved", {}).setdefault("attachments", {})
            resolved[attachment["id"]] = attachment
        return await self._inject(
            interaction(
                kind=SLASH,
                application_id=self.application_id,
                channel=channel,
                user=user,
                admin=admin,
                data=data,
                locale=locale,
            )
        )

    async def autocomplete(
        self,
        name: str,
        focused: str,
        value: str,
        *,
        user: FakeUser,
        channel: FakeChannel,
        others: dict[str, Any] | None = None,
    ) -> FakeInteraction:
        """A member types `value` into option `focused` of `/name`."""
        data = command_data(name, {**(others or {}), focused: value}, None, focused)
        return await self._inject(
            interaction(
                kind=AUTOCOMPLETE,
                application_id=self.application_id,
                channel=channel,
                user=user,
                admin=False,
                data=data,
            )
        )

    async def press(
        self, message: FakeMessage, custom_id: str, *, user: FakeUser, admin: bool = False
    ) -> FakeInteraction:
        """A member presses the button `custom_id` on `message`."""
        assert custom_id in message.button_ids(), message.button_ids()
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._inject(
            interaction(
                kind=COMPONENT,
                application_id=self.application_id,
                channel=self.channels[message.channel_id],
                user=user,
                admin=admin,
                data=data,
                message=message,
            )
        )

    async def submit_modal(
        self, opened: FakeInteraction, values: dict[str, str], *, user: FakeUser, admin: bool = True
    ) -> FakeInteraction:
        """Submit the modal that `opened` answered with, filling `values`."""
        data = modal_submission(opened.modal(), values)
        return await self._inject(
            interaction(
                kind=MODAL_SUBMIT,
                application_id=self.application_id,
                channel=self.channels[opened.channel_id],
                user=user,
                admin=admin,
                data=data,
            )
        )

    async def answered(self, interaction: FakeInteraction, seconds: float = 5.0) -> FakeInteraction:
        """Wait until the client answered `interaction`."""
        await self.wait_until(lambda: interaction.answered, seconds)
        return interaction

    async def reply_to(self, interaction: FakeInteraction, seconds: float = 5.0) -> FakeMessage:
        """Wait for the interaction's final message (after a defer, once it is filled in)."""

        def done() -> bool:
            original = self.messages.get(interaction.original_id or 0)
            return original is not None and not original.flags & LOADING

        await self.wait_until(done, seconds)
        assert interaction.original_id is not None
        return self.messages[interaction.original_id]
