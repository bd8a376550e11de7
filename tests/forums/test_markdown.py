"""Cooking posts: a hostile markdown corpus is rendered inert; mentions; plain text."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from cop.core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from cop.forums.markdown import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    handle_for,
    html_to_text,
    mentioned_ids,
    quote_block,
    render_post,
)

HOSTILE = [
    "<script>window.__pwned = 1</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src='https://evil.example'></iframe>",
    "<style>body { display: none }</style>",
    "<object data='x.swf'></object><embed src='x'>",
    "<form action='https://evil.example'><input name=a></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;vascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](jav&#x0A;ascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[x](https://example.org "t" onmouseover=alert(1))',
    "[x]: javascript:alert(1)\n\n[reference][x]",
    "<javascript:alert(1)>",
    '<https://ok.example/"onmouseover="alert(1)>',
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "> <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "@<script>alert(1)</script>-1",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href='/people/1' onfocus='alert(1)' autofocus>x</a>",
    "<details open ontoggle=alert(1)>",
    "<base href='https://evil.example/'>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href='https://evil.example/x.css'>",
]

SAFE_SCHEMES = {"", "http", "https", "mailto"}


def browser_scheme(href: str) -> str:
    """The scheme a browser sees (WHATWG URL parsing: C0 controls and spaces trimmed at the
    ends, tab and newlines dropped anywhere; a scheme is a letter then letters, digits, +-.)."""
    url = unescape(href).strip("".join(chr(c) for c in range(0x21)))
    url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_inert(html: str) -> None:
    parser = TagCollector()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> in {html!r}"
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert name in allowed, f"attribute {name} on <{tag}> in {html!r}"
            if name == "href":
                scheme = browser_scheme(value or "")
                assert scheme in SAFE_SCHEMES, f"href {value!r} has scheme {scheme!r}"
    lowered = html.lower()
    for needle in (
        "<script",
        "<svg",
        "<iframe",
        "<style",
        "<img",
        "<object",
        "<embed",
        "<form",
        "<math",
        "<base",
        "<meta",
        "<link",
        "<details",
    ):
        assert needle not in lowered, f"{needle} in {html!r}"


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_rendered_inert(source):
    rendered = render_post(source, {1: SimpleNamespace(id=1, name="Avery <b>Brooks</b>")})
    assert_inert(rendered.html)
    assert HIGHLIGHT_START not in rendered.text


def test_raw_html_is_shown_as_text_not_dropped():
    html = render_post("Use <b>bold</b> carefully", {}).html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_ordinary_markdown_survives():
    html = render_post(
        "**Apprenticeship** [guide](https://example.org/guide)\n\n- one\n- two", {}
    ).html
    assert "<strong>Apprenticeship</strong>" in html
    assert (
        'href="https://example.org/guide"' in html and 'rel="nofollow noopener noreferrer"' in html
    )
    assert "<li>one</li>" in html


def test_mentions_link_known_people_only_outside_code():
    avery = SimpleNamespace(id=12, name="Avery Brooks")
    source = (
        f"Thanks @{handle_for(avery)}! And @{handle_for(avery)} again, "
        f"`@{handle_for(avery)}` in code, @nobody-99, mail a@avery-brooks-12.org"
    )
    rendered = render_post(source, {12: avery})
    assert rendered.mentioned == [12]
    assert rendered.html.count('href="/people/12"') == 2
    assert "@Avery Brooks</a>" in rendered.html
    assert "<code>@avery-brooks-12</code>" in rendered.html
    assert "@nobody-99" in rendered.html
    assert mentioned_ids(source)[:2] == [12, 99]


def test_a_mentioned_name_is_escaped():
    evil = SimpleNamespace(id=5, name='<img src=x onerror="alert(1)">')
    rendered = render_post("hi @x-5", {5: evil})
    assert_inert(rendered.html)
    assert "&lt;img" in rendered.html


def test_handle_for_names_without_letters():
    assert handle_for(SimpleNamespace(id=7, name="Ana María O'Neil")) == "ana-maria-o-neil-7"
    assert handle_for(SimpleNamespace(id=8, name="李")) == "user-8"


def test_html_to_text_unescapes_and_drops_markers():
    text = html_to_text(f"<p>a &amp; b {HIGHLIGHT_START}x{HIGHLIGHT_END}</p><ul><li>one</li></ul>")
    assert text == "a & b x\none"


def test_quote_block_escapes_the_name():
    block = quote_block("Eve [x](javascript:alert(1))", 3, "/forums/p/9", "line one\n\nline two")
    assert block.startswith("> **[Eve \\[x\\]\\(javascript:alert\\(1\\)\\)](/people/3)**")
    assert "> line one\n>\n> line two" in block
    assert_inert(render_post(block, {}).html)
