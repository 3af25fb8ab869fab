"""Update injection for the fake Bot API: what users (and Telegram) do that the bot sees."""

from __future__ import annotations

import time

import aiohttp

from tests.fakes.telegram_state import SentMessage, TelegramState
from tests.fakes.telegram_wire import BOT_COMMAND, JSON, utf16_len


class TelegramUpdates(TelegramState):
    """Messages, photos, button presses, membership changes and webhook posts from users."""

    def inject(self, update: JSON) -> int:
        """Queue a raw update (update_id is assigned) and wake long polls; returns its id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def _user_message_json(
        self, chat_id: int, text: str | None, user: JSON | None, reply_to: int | None
    ) -> JSON:
        message_id = next(self._ids[chat_id])
        msg: JSON = {"message_id": message_id, "date": int(time.time()), "chat": self.chat(chat_id)}
        if user is not None:
            msg["from"] = user
        if text is not None:
            msg["text"] = text
            command = BOT_COMMAND.match(text)
            if command is not None:
                length = utf16_len(command.group(0))
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            original = self.messages[chat_id].get(reply_to)
            if original is not None:
                msg["reply_to_message"] = self._message_json(original)
        self.messages[chat_id][message_id] = SentMessage(
            chat_id, message_id, text or "", msg["date"], raw=text or "", from_bot=False
        )
        return msg

    def send_text(
        self, chat_id: int, text: str, *, user_id: int | None = None, language_code: str = "en",
        reply_to: int | None = None, kind: str | None = None, title: str | None = None,
    ) -> JSON:
        """A user writes `text` in a chat (private if the id is positive); returns the message."""
        msg = self.text_message(
            chat_id, text, user_id=user_id, language_code=language_code, reply_to=reply_to,
            kind=kind, title=title,
        )
        self.inject({"message": msg})
        return msg

    def text_message(
        self, chat_id: int, text: str, *, user_id: int | None = None, language_code: str = "en",
        reply_to: int | None = None, kind: str | None = None, title: str | None = None,
    ) -> JSON:
        """A user's message as JSON, not yet delivered (for webhooks or custom updates)."""
        if chat_id not in self.chats or kind is not None:
            self.add_chat(chat_id, kind, title=title)
        user = self.user(user_id if user_id is not None else chat_id, language_code)
        return self._user_message_json(chat_id, text, user, reply_to)

    def send_photo(
        self, chat_id: int, data: bytes, caption: str | None = None, *,
        user_id: int | None = None, reply_to: int | None = None, declared_size: int | None = None,
        caption_entities: list[JSON] | None = None,
    ) -> JSON:
        """A user sends a photo (with an optional caption); returns the message."""
        if chat_id not in self.chats:
            self.add_chat(chat_id)
        user = self.user(user_id if user_id is not None else chat_id)
        msg = self._user_message_json(chat_id, None, user, reply_to)
        stored = self.files.add(data)
        msg["photo"] = self.files.photo_sizes(stored, declared_size=declared_size)
        kept = self.messages[chat_id][msg["message_id"]]
        kept.kind, kept.file_id = "photo", stored.file_id
        if caption is not None:
            msg["caption"] = kept.text = kept.raw = caption
            command = BOT_COMMAND.match(caption)
            if command is not None:
                length = utf16_len(command.group(0))
                msg["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            if caption_entities:
                msg["caption_entities"] = msg.get("caption_entities", []) + caption_entities
        self.inject({"message": msg})
        return msg

    def channel_post(self, chat_id: int, text: str, *, title: str | None = None) -> JSON:
        """An admin posts `text` in a channel (no sender user, as Telegram does)."""
        if self.chats.get(chat_id, {}).get("type") != "channel":
            self.add_chat(chat_id, "channel", title=title)
        msg = self._user_message_json(chat_id, text, None, None)
        msg["sender_chat"] = self.chat(chat_id)
        self.inject({"channel_post": msg})
        return msg

    def press(self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None,
              language_code: str = "en") -> str:
        """A user presses an inline button under a bot message; returns the callback id."""
        query_id = f"cb{next(self._update_ids)}"
        user = self.user(user_id if user_id is not None else chat_id, language_code)
        query: JSON = {"id": query_id, "from": user, "chat_instance": str(chat_id), "data": data}
        message = self.messages[chat_id].get(message_id)
        if message is not None:
            query["message"] = self._message_json(message)
        self.inject({"callback_query": query})
        return query_id

    def member_update(
        self, chat_id: int, new_status: str, *, old_status: str = "left", by_user: int = 1,
        kind: str | None = None, title: str | None = None,
    ) -> None:
        """The bot's own membership changes (my_chat_member): added, promoted, kicked, blocked."""
        if chat_id not in self.chats or kind is not None:
            self.add_chat(chat_id, kind, title=title)
        self.inject({"my_chat_member": {
            "chat": self.chat(chat_id), "from": self.user(by_user), "date": int(time.time()),
            "old_chat_member": self._member_json(self.bot, old_status),
            "new_chat_member": self._member_json(self.bot, new_status),
        }})

    def migrate(self, chat_id: int, new_chat_id: int, *, service_message: bool = True) -> None:
        """The group becomes a supergroup: sends to the old id get 400 migrate from now on."""
        self.migrated[chat_id] = new_chat_id
        old = self.chat(chat_id)
        self.add_chat(new_chat_id, "supergroup", title=old.get("title"))
        if service_message:
            msg = self._user_message_json(chat_id, None, self.user(1), None)
            msg["migrate_to_chat_id"] = new_chat_id
            self.inject({"message": msg})

    def sticker(self, chat_id: int, *, user_id: int | None = None) -> None:
        """A user sends a sticker."""
        msg = self._user_message_json(chat_id, None, self.user(user_id or chat_id), None)
        msg["sticker"] = {"file_id": "stk", "file_unique_id": "stku", "width": 512, "height": 512,
                          "is_animated": False, "is_video": False, "type": "regular"}
        self.inject({"message": msg})

    def edit_user_message(self, chat_id: int, message_id: int, text: str) -> None:
        """A user edits an earlier message (edited_message update)."""
        msg: JSON = {"message_id": message_id, "date": int(time.time()), "chat": self.chat(chat_id),
                     "from": self.user(chat_id), "text": text, "edit_date": int(time.time())}
        self.inject({"edited_message": msg})

    async def post_webhook(self, update: JSON, *, secret: str | None = "") -> int:
        """POST an update to the registered webhook (its own secret unless given); HTTP status."""
        if self.webhook is None:
            raise RuntimeError("no webhook registered")
        update = {"update_id": next(self._update_ids), **update}
        token = self.webhook.get("secret_token") if secret == "" else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        async with aiohttp.ClientSession() as session, session.post(
            self.webhook["url"], json=update, headers=headers
        ) as response:
            return response.status
