"""Photos Telegram would refuse (shape, size, a header that lies) are refused before posting."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bot.formatting import Photo
from bot.photos import PhotoError, checked_photo, photo_refusal
from tests.core.test_cli import herald
from tests.core.test_photo_posts import _photo_rows, env, post_file  # noqa: F401 (fixtures)
from tests.images import JPEG, png, png_header

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _refusal(data: bytes) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        checked_photo(Photo(data, file_name="x.png"))
    return caught.value


def test_a_12000_by_100_png_is_refused_with_its_size() -> None:
    error = _refusal(png(12_000, 100))
    assert (error.reason, error.width, error.height) == ("dimensions", 12_000, 100)
    text = photo_refusal("en", error)
    assert "add up to more than 10,000 pixels" in text
    assert text.endswith("This one is 12000×100.")
    assert "12000×100" in photo_refusal("ru", error)
    assert "12000×100" in photo_refusal("ko", error)


def test_a_ratio_of_25_is_refused_though_the_sides_add_up_to_little() -> None:
    error = _refusal(png(2_500, 100))
    assert (error.reason, error.width, error.height) == ("dimensions", 2_500, 100)
    assert _refusal(png(40, 1_000)).reason == "dimensions"  # tall strips too


@pytest.mark.parametrize(
    ("width", "height"), [(9_000, 1_000), (2_000, 100), (100, 2_000), (4_000, 4_000)]
)
def test_photos_at_the_limits_pass(width: int, height: int) -> None:
    assert checked_photo(Photo(png_header(width, height), file_name="x.png")).mime_type == (
        "image/png"
    )


def test_the_real_jpeg_passes() -> None:
    assert checked_photo(Photo(JPEG, file_name="a.jpeg")).file_name == "a.jpg"


@pytest.mark.parametrize(
    "data",
    [
        SIGNATURE,  # the magic and nothing else
        SIGNATURE + struct.pack(">I", 13) + b"IHDR" + b"\x00\x00",  # IHDR cut short
        png_header(800, 600)[:-13] + b"\x00" * 4 + png_header(800, 600)[-12:],  # bad CRC
        png_header(0, 600),  # no width
        SIGNATURE + b"\x00\x00\x00\x0dJUNK" + b"\x00" * 17,  # IHDR missing
        b"\xff\xd8\xff\xe0" + b"\x00" * 200,  # JPEG magic, no frame header
        b"GIF89a" + b"\x00",  # GIF magic, no screen descriptor
    ],
)
def test_a_header_that_lies_is_refused_as_unreadable(data: bytes) -> None:
    assert _refusal(data).reason == "unreadable"


def test_a_huge_claimed_size_is_refused_without_decoding() -> None:
    # 30,000 × 30,000 is 900 megapixels: Pillow's bomb guard fires on the header alone.
    error = _refusal(png_header(30_000, 30_000))
    assert error.reason == "dimensions"
    assert "This one is" not in photo_refusal("en", error)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png(12_000, 100), "has a shape Telegram refuses"),
        (png(2_500, 100), "(it is 2500×100)"),
        (SIGNATURE + b"\x00" * 30, "has a damaged header"),
    ],
)
def test_the_cli_refuses_them_and_writes_nothing(
    env: dict[str, str],  # noqa: F811
    post_file: Path,  # noqa: F811
    tmp_path: Path,
    data: bytes,
    message: str,
) -> None:
    image = tmp_path / "strip.png"
    image.write_bytes(data)
    result = herald("post", "--file", str(post_file), "--photo", str(image), env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "cli.db").exists() or _photo_rows(tmp_path) == 0
