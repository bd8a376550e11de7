"""Posts: markdown to safe HTML with @mentions, and to plain text for the search index.

The pipeline is core's (Python-Markdown with raw HTML escaped, then nh3 with core's
allowlist); forums add one inline pattern that turns `@avery-brooks-12` into a link to
that person's profile. Output is rendered once, at write time, and stored.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as etree  # nosec B405  # builds Markdown's trees, parses no XML
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

import markdown as md
import markdown.extensions
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from cop.core.markdown import EXTENSIONS, sanitise_html

# `@` + a slug of the person's name + `-` + their user id; the id is what counts, so a
# mention keeps working after a rename. Not after a word character (emails), nor in code.
MENTION_RE = r"(?i)(?<![\w@/.+-])@((?:[a-z0-9]+-)+)(\d{1,10})(?![\w-])"
_MENTION = re.compile(MENTION_RE)
MAX_MENTIONS = 20

# Private-use characters mark search highlights; user text can never contain them.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"


_UNSAFE = frozenset({"Cc", "Cs", "Co"})


def clean_text(text: str | None, *, keep_newlines: bool = False) -> str:
    """User text without NUL and other control characters, lone surrogates or private-use
    characters (our highlight markers): none of them belongs in a post, and NUL or a lone
    surrogate makes the databases fail."""
    keep = {"\n", "\t"} if keep_newlines else set()
    return "".join(
        ch for ch in (text or "") if ch in keep or (unicodedata.category(ch) not in _UNSAFE)
    )


def name_slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:40].strip("-") or "user"


def handle_for(user) -> str:
    """The text that mentions this person: `avery-brooks-12`."""
    return f"{name_slug(user.name)}-{user.id}"


def mentioned_ids(text: str | None) -> list[int]:
    """User ids that look mentioned in the source (code included; render() decides)."""
    ids: list[int] = []
    for match in _MENTION.finditer(text or ""):
        uid = int(match.group(2))
        if uid not in ids:
            ids.append(uid)
        if len(ids) >= MAX_MENTIONS:
            break
    return ids


@dataclass
class Rendered:
    html: str
    text: str
    mentioned: list[int] = field(default_factory=list)


def render_post(text: str, people: dict[int, object]) -> Rendered:
    """Cook a post. `people` maps user id -> user for the ids that may be mentioned."""
    found: list[int] = []
    converter = md.Markdown(
        extensions=[*EXTENSIONS, _EscapeHtml(), _Mentions(people, found)], output_format="html"
    )
    html = sanitise_html(converter.convert(text or ""))
    return Rendered(html=html, text=html_to_text(html), mentioned=found)


def html_to_text(html: str) -> str:
    """Visible text of sanitised HTML, for the index (highlight markers removed)."""
    parser = _TextExtractor()
    parser.feed(html or "")
    parser.close()
    text = unescape("".join(parser.parts))
    text = text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\n\s*\n+", "\n", text)).strip()


class _TextExtractor(HTMLParser):
    BLOCKS = {
        "p",
        "li",
        "pre",
        "blockquote",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "br",
        "dd",
        "dt",
        "table",
    }

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS or tag in {"td", "th"}:
            self.parts.append("\n" if tag in self.BLOCKS else " ")

    def handle_data(self, data):
        self.parts.append(data)

    def handle_entityref(self, name):
        self.parts.append(f"&{name};")

    def handle_charref(self, name):
        self.parts.append(f"&#{name};")


class _EscapeHtml(md.extensions.Extension):
    """Raw HTML in user text is shown as text (as in core's render_markdown)."""

    def extendMarkdown(self, m):  # noqa: N802 - Python-Markdown's API name
        m.preprocessors.deregister("html_block")
        m.inlinePatterns.deregister("html")


class _MentionPattern(InlineProcessor):
    def __init__(self, pattern, m, people, found):
        super().__init__(pattern, m)
        self.people = people
        self.found = found

    def handleMatch(self, m, data):  # noqa: N802 - Python-Markdown's API name
        uid = int(m.group(2))
        user = self.people.get(uid)
        if user is None:
            return None, None, None
        if uid not in self.found:
            self.found.append(uid)
        el = etree.Element("a")
        el.set("href", f"/people/{uid}")
        el.set("title", f"{user.name}, mentioned")
        el.text = AtomicString(f"@{user.name}")
        return el, m.start(0), m.end(0)


class _Mentions(md.extensions.Extension):
    def __init__(self, people, found):
        super().__init__()
        self.people = people
        self.found = found

    def extendMarkdown(self, m):  # noqa: N802
        # After backticks (code spans stay literal) and escapes, before links.
        m.inlinePatterns.register(
            _MentionPattern(MENTION_RE, m, self.people, self.found), "cop_mention", 175
        )


def quote_block(author_name: str | None, author_id: int | None, post_url: str, body: str) -> str:
    """Markdown that quotes a post, for a reply: attribution, then the text as a quote."""
    name = re.sub(r"([\\`*_{}\[\]()#+!<>|~-])", r"\\\1", author_name or "")
    who = f"[{name}](/people/{author_id})" if author_id else "A former member"
    lines = (body or "").strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"> **{who}** [wrote]({post_url}):\n>\n{quoted}\n\n"
