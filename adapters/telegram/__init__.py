"""The Telegram adapter: python-telegram-bot inside Herald's event loop."""
