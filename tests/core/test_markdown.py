"""Markdown rendering: hostile input never yields executable HTML; normal markdown works."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from cop.core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown, sanitise_html

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "poster",
    "srcset",
    "data",
    "cite",
}


class Parsed(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]

    def links(self) -> list[dict]:
        return [attrs for tag, attrs in self.elements if tag == "a"]


def url_scheme(url: str) -> str | None:
    """The scheme a browser would see: tabs and newlines removed, leading controls stripped."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(chr(c) for c in range(0x21)))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", cleaned)
    return match.group(1).lower() if match else None


def assert_harmless(html: str) -> Parsed:
    parsed = Parsed(html)
    for tag, attrs in parsed.elements:
        assert tag in ALLOWED_TAGS, f"<{tag}> in {html!r}"
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name, html)
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in URL_ATTRIBUTES and value is not None:
                scheme = url_scheme(value)
                assert scheme is None or scheme in SAFE_SCHEMES, (value, html)
    return parsed


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="https://evil.example/x.css">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](&#0000106;avascript:alert(1))",
    "[click](&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](java&#10;script:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](<java\nscript:alert(1)>)",
    "[click](\x01javascript:alert(1))",
    "[click](\x0bjavascript:alert(1))",
    "[click](\u00a0javascript:alert(1))",
    "[click](javascript://%0aalert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](VBScript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "[click](file:///etc/passwd)",
    '[click](https://ok.example "x\\" onmouseover=\\"alert(1)")',
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "[ref][x]\n\n[x]: <javascript:alert(1)>",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    '![img](https://ok.example/a.png" onerror="alert(1))',
    '```"><script>alert(1)</script>\nx\n```',
    "```js onclick=alert(1)\ncode\n```",
    "    <script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "**<img src=x onerror=alert(1)>**",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_never_yields_executable_html(source):
    html = render_markdown(source)
    assert_harmless(html)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("source", HOSTILE)
def test_the_sanitiser_alone_also_neutralises_hostile_html(source):
    # Defence in depth: even HTML that skipped the markdown step is cleaned.
    assert_harmless(sanitise_html(source))


def test_raw_html_is_shown_as_text_not_dropped():
    html = render_markdown("Use <b>bold</b> & <script>alert(1)</script> wisely")
    parsed = assert_harmless(html)
    assert parsed.tags() == ["p"]
    assert "".join(parsed.text) == "Use <b>bold</b> & <script>alert(1)</script> wisely"


def test_links_get_safe_rel():
    for link in Parsed(render_markdown("[a](https://ok.example) <https://auto.example>")).links():
        assert set(link["rel"].split()) == {"nofollow", "noopener", "noreferrer"}


def test_unsafe_links_keep_their_text_but_lose_the_href():
    parsed = assert_harmless(render_markdown("[click me](javascript:alert(1))"))
    assert parsed.links() and all("href" not in a for a in parsed.links())
    assert "click me" in "".join(parsed.text)


# ---------------------------------------------------------------- normal markdown


def test_emphasis_and_paragraphs():
    parsed = assert_harmless(render_markdown("**bold** and *italic*\n\nsecond ~~para~~"))
    assert parsed.tags()[:3] == ["p", "strong", "em"]
    assert parsed.tags().count("p") == 2


def test_lists():
    html = render_markdown("- one\n- two\n\n1. first\n2. second")
    parsed = assert_harmless(html)
    assert parsed.tags() == ["ul", "li", "li", "ol", "li", "li"]
    assert "start" not in dict(parsed.elements[3][1])
    numbered = Parsed(render_markdown("3. third\n4. fourth")).elements
    assert numbered[0] == ("ol", {"start": "3"})


@pytest.mark.parametrize(
    "source, href",
    [
        ("[site](https://www.example.org/path?a=1&b=2)", "https://www.example.org/path?a=1&b=2"),
        ("[site](http://example.org)", "http://example.org"),
        ("<https://example.org/auto>", "https://example.org/auto"),
        ("[mail](mailto:team@example.org)", "mailto:team@example.org"),
        ("[page](/coalitions/alpha)", "/coalitions/alpha"),
        ("[ref][r]\n\n[r]: https://example.org/ref", "https://example.org/ref"),
    ],
)
def test_safe_links_are_kept(source, href):
    links = assert_harmless(render_markdown(source)).links()
    assert [a["href"] for a in links] == [href]


def test_fenced_code_keeps_its_text_and_language():
    html = render_markdown("```python\nif a < b and c > d:\n    print('<hi>')\n```")
    parsed = assert_harmless(html)
    assert parsed.tags() == ["pre", "code"]
    assert parsed.elements[1][1] == {"class": "language-python"}
    assert "".join(parsed.text) == "if a < b and c > d:\n    print('<hi>')\n"


def test_inline_code():
    parsed = assert_harmless(render_markdown("run `make test` now"))
    assert "code" in parsed.tags()


def test_tables():
    html = render_markdown("| Measure | Q1 |\n|:--|--:|\n| Served | 12 |\n| Placed | 7 |")
    parsed = assert_harmless(html)
    assert parsed.tags().count("table") == 1
    assert parsed.tags().count("th") == 2 and parsed.tags().count("td") == 4
    assert ("td", {"align": "right"}) in parsed.elements


def test_headings_and_quotes_and_line_breaks():
    parsed = assert_harmless(render_markdown("## Title\n\n> quoted\n\nline one\nline two"))
    assert {"h2", "blockquote", "br"} <= set(parsed.tags())


def test_top_level_heading_is_demoted_or_dropped_never_an_h1():
    # The page owns the h1; user text must not add another.
    assert "h1" not in Parsed(render_markdown("# Big")).tags()


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_input(empty):
    assert render_markdown(empty) == ""


def test_unicode_survives():
    html = render_markdown("Énergie — 太陽光 ✓")
    assert "Énergie — 太陽光 ✓" in html
