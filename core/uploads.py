"""Files that people hand over (a subscriber list, a reader's library): bytes to text, checked.

One place decides what an upload may be: at most `max_bytes`, text and not a binary file, UTF-8
(a byte-order mark is dropped). What is wrong is said with the line it is on, in words for the
person who chose the file.
"""

MEGABYTE = 1024 * 1024
BINARY_SNIFF = 8192  # a NUL in the first bytes: a binary file, not text


class UploadError(ValueError):
    """An upload that cannot be read as text; `line` is 1-based, or None for the whole file."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(f"Line {line}: {message}" if line else message)


def upload_text(data: bytes, *, max_bytes: int, binary: str = "This is a binary file.") -> str:
    """The text of an uploaded file, or UploadError saying why not (`binary` is the sentence for
    a file that is not text at all)."""
    if b"\x00" in data[:BINARY_SNIFF]:
        raise UploadError(binary)
    if len(data) > max_bytes:
        raise UploadError(f"The file is over {max_bytes // MEGABYTE} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UploadError("This is not UTF-8 text (save the file as UTF-8).", line) from None
    if "\x00" in text:
        raise UploadError(binary, text[: text.index("\x00")].count("\n") + 1)
    return text
