"""Reading a page as a person does: its language, direction and the words they see."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Latin words that belong on an Arabic page: the other languages' names in the language
# switcher, the names of the data sources credited in the footer, and a feed format's name.
LATIN_ALLOWED = frozenset({"français", "English", "OpenStreetMap", "ODbL", "CC", "BY", "Atom"})
_SHOWN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-zÀ-ÿ'’-]*")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.html_attrs: dict[str, str] = {}
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_attrs = {k: v or "" for k, v in values.items()}
        if tag in {"script", "style"}:
            self._hidden += 1
        for name, value in values.items():
            if name in _SHOWN_ATTRIBUTES and value:
                self.texts.append(value)
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def read(html: str) -> tuple[dict[str, str], str]:
    """The <html> element's attributes and the text a reader sees (or hears)."""
    reader = _Reader()
    reader.feed(html)
    return reader.html_attrs, " ".join(reader.texts)


def latin_words(text: str) -> list[str]:
    """Latin-script words in ``text`` that an Arabic page should not show."""
    return [w for w in _LATIN_WORD.findall(text) if w not in LATIN_ALLOWED]
