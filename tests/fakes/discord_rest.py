"""REST routes of the fake Discord: login, gateway, commands, messages, DMs, interactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord_files import ATTACHMENT_LIMIT, read_multipart
from tests.fakes.discord_payloads import EPHEMERAL, JSON, new_id

if TYPE_CHECKING:
    from tests.fakes.discord_api import FakeDiscord


def install_routes(fake: FakeDiscord, app: web.Application) -> None:
    """Register every REST route the fake answers under /api/v10."""
    from tests.fakes.discord_api import DiscordError, json_response

    r = app.router
    base = "/api/v10"

    async def body_of(request: web.Request) -> JSON:
        if request.body_exists and request.content_type == "application/json":
            data: JSON = await request.json()
            return data
        if request.content_type.startswith("multipart/"):
            parsed, files = await read_multipart(request)
            if any(len(data) > ATTACHMENT_LIMIT for _, data, _ in files):
                raise DiscordError(413, 40005, "Request entity too large")
            if files:
                parsed["_files"] = [fake.files.store(*file) for file in files]
            return parsed
        return {}

    def snowflake(request: web.Request, key: str) -> int:
        return int(request.match_info[key])

    async def me(_: web.Request) -> web.Response:
        return json_response({**fake.bot.payload(), "verified": True, "mfa_enabled": False})

    async def application(_: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(fake.application_id),
                "name": "Herald",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": fake.owner.payload(),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "redirect_uris": [],
            }
        )

    async def gateway(_: web.Request) -> web.Response:
        return json_response({"url": fake.gateway_url})

    async def gateway_bot(_: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": fake.gateway_url, "shards": 1, "session_start_limit": limit})

    def stored_commands(guild_id: int | None, body: list[JSON]) -> list[JSON]:
        result = []
        for command in body:
            stored = {
                "id": str(new_id()),
                "application_id": str(fake.application_id),
                "version": str(new_id()),
                "type": command.get("type", 1),
                "default_member_permissions": None,
                "dm_permission": True,
                **command,
            }
            if stored["default_member_permissions"] is not None:
                # Discord answers the permission bits as a string, whatever it was sent.
                stored["default_member_permissions"] = str(stored["default_member_permissions"])
            if guild_id is not None:
                stored["guild_id"] = str(guild_id)
            result.append(stored)
        return result

    async def put_commands(request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild_id"]) if "guild_id" in request.match_info else None
        body: Any = await request.json()
        fake.commands[guild_id] = stored_commands(guild_id, list(body))
        fake.command_syncs.append(guild_id)
        return json_response(fake.commands[guild_id])

    async def get_commands(request: web.Request) -> web.Response:
        guild_id = int(request.match_info["guild_id"]) if "guild_id" in request.match_info else None
        return json_response(fake.commands.get(guild_id, []))

    async def post_message(request: web.Request) -> web.Response:
        channel = fake.channel_for_write(snowflake(request, "channel_id"))
        body = await body_of(request)
        if not body.get("content") and not body.get("embeds"):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        if len(str(body.get("nonce") or "")) > 25:
            raise DiscordError(400, 50035, "Invalid Form Body: nonce longer than 25")
        if len(body.get("content") or "") > 2000:
            raise DiscordError(400, 50035, "Invalid Form Body: content too long")
        return json_response(fake.create_message(channel.id, body).payload())

    def message_in(request: web.Request) -> Any:
        channel = fake.channel_for_write(snowflake(request, "channel_id"))
        message = fake.messages.get(snowflake(request, "message_id"))
        if message is None or message.deleted or message.channel_id != channel.id:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def patch_message(request: web.Request) -> web.Response:
        message = message_in(request)
        fake.edit_message(message, await body_of(request))
        return json_response(message.payload())

    async def delete_message(request: web.Request) -> web.Response:
        message_in(request).deleted = True
        return web.Response(status=204)

    async def crosspost(request: web.Request) -> web.Response:
        message = message_in(request)
        channel = fake.channels[message.channel_id]
        if channel.type != 5:
            raise DiscordError(400, 40033, "This message cannot be crossposted")
        if message.crossposted:
            raise DiscordError(400, 40033, "This message has already been crossposted")
        message.crossposted = True
        message.flags |= 1
        return json_response(message.payload())

    async def get_channel(request: web.Request) -> web.Response:
        return json_response(fake.channel_for_write(snowflake(request, "channel_id")).payload())

    async def open_dm(request: web.Request) -> web.Response:
        body = await body_of(request)
        recipient_id = int(body["recipient_id"])
        for guild in fake.guilds.values():
            for user in guild.members:
                if user.id == recipient_id:
                    return json_response(fake.dm_channel(user).payload())
        raise DiscordError(400, 50007, "Cannot send messages to this user")

    async def callback(request: web.Request) -> web.Response:
        interaction = fake.interactions.get(snowflake(request, "interaction_id"))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        result = fake.answer_interaction(interaction, await body_of(request))
        if request.query.get("with_response") in ("1", "true"):
            return json_response(result)
        return web.Response(status=204)

    def webhook_message(request: web.Request) -> Any:
        interaction = fake.interaction_by_token(request.match_info["token"])
        key = request.match_info["message_id"]
        message_id = interaction.original_id if key == "@original" else int(key)
        message = fake.messages.get(message_id) if message_id is not None else None
        if message is None or message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def get_webhook_message(request: web.Request) -> web.Response:
        return json_response(webhook_message(request).payload())

    async def patch_webhook_message(request: web.Request) -> web.Response:
        message = webhook_message(request)
        fake.edit_message(message, await body_of(request))
        return json_response(message.payload())

    async def delete_webhook_message(request: web.Request) -> web.Response:
        webhook_message(request).deleted = True
        return web.Response(status=204)

    async def followup(request: web.Request) -> web.Response:
        interaction = fake.interaction_by_token(request.match_info["token"])
        body = await body_of(request)
        message = fake.create_message(interaction.channel_id, body, interaction_id=interaction.id)
        if int(body.get("flags") or 0) & EPHEMERAL:
            message.flags |= EPHEMERAL
        interaction.followup_ids.append(message.id)
        return json_response(message.payload())

    app_cmds = base + "/applications/{app_id}/commands"
    guild_cmds = base + "/applications/{app_id}/guilds/{guild_id}/commands"
    msg = base + "/channels/{channel_id}/messages/{message_id}"
    hook = base + "/webhooks/{app_id}/{token}"
    r.add_get(base + "/users/@me", me)
    r.add_get(base + "/oauth2/applications/@me", application)
    r.add_get(base + "/gateway", gateway)
    r.add_get(base + "/gateway/bot", gateway_bot)
    r.add_put(app_cmds, put_commands)
    r.add_get(app_cmds, get_commands)
    r.add_put(guild_cmds, put_commands)
    r.add_get(guild_cmds, get_commands)
    r.add_get(base + "/channels/{channel_id}", get_channel)
    r.add_post(base + "/channels/{channel_id}/messages", post_message)
    r.add_patch(msg, patch_message)
    r.add_delete(msg, delete_message)
    r.add_post(msg + "/crosspost", crosspost)
    r.add_post(base + "/users/@me/channels", open_dm)
    r.add_post(base + "/interactions/{interaction_id}/{token}/callback", callback)
    r.add_get("/attachments/{attachment_id}/{filename}", fake.files.serve)
    r.add_post(hook, followup)
    r.add_get(hook + "/messages/{message_id}", get_webhook_message)
    r.add_patch(hook + "/messages/{message_id}", patch_webhook_message)
    r.add_delete(hook + "/messages/{message_id}", delete_webhook_message)
