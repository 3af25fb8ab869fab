"""Importers: turn saved society posts into announcements."""

from bot.importers.reading import MAX_FILE_BYTES, decode_post, read_post_file
from bot.importers.society_post import ImportFormatError, parse_post

__all__ = ["MAX_FILE_BYTES", "ImportFormatError", "decode_post", "parse_post", "read_post_file"]
