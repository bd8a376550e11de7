"""A corpus of hostile inputs for every text field of cop (issue 11, item 2).

Each payload carries a unique marker (``hst0042k``): payloads that try to run script call
``alert``/``confirm``/``prompt``/``print``/``console.log`` with their marker, so a browser test
can tell which one got through, and the marker of a plain-text field must come back as text.

Inspired by the usual corpora (the OWASP XSS filter evasion cheat sheet, html5sec, the
markdown XSS lists): script tags, javascript:/data:/vbscript: URLs in every spelling (case,
entities, whitespace, control characters, percent-encoding), event handlers, SVG and MathML,
iframes/objects/embeds, CSS, markdown link/image/reference/autolink tricks, HTML comments,
Unicode direction overrides, very long words and null bytes. Generated from a few tables so
a new trick is one line; ``PAYLOADS`` is built once at import.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MARKER_RE = re.compile(r"hst\d{4}k")


@dataclass(frozen=True)
class Payload:
    id: int
    category: str
    text: str

    @property
    def marker(self) -> str:
        return f"hst{self.id:04d}k"


# Templates: {m} is the payload's marker, {js} a call that shows it ({js} uses only quotes
# that survive attribute and URL contexts).
_JS_CALLS = [
    "alert('{m}')",
    "confirm('{m}')",
    "prompt('{m}')",
    "console.log('{m}')",
    "alert(`{m}`)",
    "top['al'+'ert']('{m}')",
    "window.onerror=alert;throw '{m}'",
]

_SCHEMES = [
    "javascript:",
    "JaVaScRiPt:",
    "JAVASCRIPT:",
    " javascript:",
    "\tjavascript:",
    "java\tscript:",
    "java\nscript:",
    "java\rscript:",
    "java\x00script:",
    "javascript\t:",
    "&#106;avascript:",
    "&#x6A;avascript:",
    "&#0000106;avascript:",
    "javascript&colon;",
    "javascript&#58;",
    "javascript&#x3a;",
    "jav&#x09;ascript:",
    "jav&#x0A;ascript:",
    "&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A",
    "%6A%61%76%61script:",
    "javascript%3A",
    "\x01javascript:",
    "\u200bjavascript:",
    "javascript://%0a",
    "javascript://example.org/%0d%0a",
    "vbscript:",
    "VBScript:",
    "livescript:",
    "data:text/html,",
    "DATA:text/html,",
    "data:text/html;base64,",
    "data:image/svg+xml,",
    " data:text/html,",
    "da\tta:text/html,",
]

_LINK_FORMS = [
    "[click {m}]({url})",
    "[click {m}](<{url}>)",
    '[click {m}]({url} "title")',
    "![img {m}]({url})",
    "[click {m}][r{m}]\n\n[r{m}]: {url}",
    "<{url}> {m}",
    '<a href="{url}">{m}</a>',
    '<img src="{url}" alt="{m}">',
]


def _script_tags() -> list[tuple[str, str]]:
    return [
        ("script", t)
        for t in [
            "<script>{js}</script>",
            "<SCRIPT>{js}</SCRIPT>",
            "<script src=data:,{js}></script>",
            "<script/src=/static/js/x.js?{m}></script>",
            "<scr<script>ipt>{js}</scr</script>ipt>",
            "<script >{js}</script >",
            "<<script>{js}//<</script>",
            "<script\x00>{js}</script>",
            "</textarea><script>{js}</script>",
            "</title><script>{js}</script>",
            "</style><script>{js}</script>",
            "--></script><script>{js}</script>",
            '"><script>{js}</script>',
            "'><script>{js}</script>",
            "</script><script>{js}</script>",
            '<noscript><p title="</noscript><img src=x onerror={js}>">',
            "<template><script>{js}</script></template>",
            "<math><mtext><table><mglyph><style><img src=x onerror={js}>",
            "```html\n<script>{js}</script>\n```",
            "`<script>{js}</script>`",
            "    <script>{js}</script>",
            "> <script>{js}</script>",
            "* <script>{js}</script>",
            "| a | <script>{js}</script> |\n|---|---|\n| b | c |",
        ]
    ]


def _handlers() -> list[tuple[str, str]]:
    return [
        ("handler", t)
        for t in [
            "<img src=x onerror={js}>",
            '<img src=x onerror="{js}">',
            "<IMG SRC=x OnErRoR={js}>",
            "<img/src=x/onerror={js}>",
            "<img src=x onerror\n={js}>",
            "<img src=`x`onerror={js}>",
            "<body onload={js}>",
            "<input autofocus onfocus={js}>",
            "<select autofocus onfocus={js}>",
            "<textarea autofocus onfocus={js}></textarea>",
            "<details open ontoggle={js}>",
            "<video><source onerror={js}></video>",
            "<audio src=x onerror={js}>",
            "<marquee onstart={js}>{m}</marquee>",
            "<div onmouseover={js}>{m}</div>",
            "<a onclick={js} href=#>{m}</a>",
            "<p onpointerenter={js}>{m}</p>",
            "<form><button formaction=javascript:{js}>{m}</button></form>",
            "<form action=javascript:{js}><input type=submit value={m}></form>",
            "<isindex type=image src=1 onerror={js}>",
            "<object data=javascript:{js}></object>",
            "<embed src=javascript:{js}>",
            "<base href=javascript:{js}//>",
            "<link rel=import href=data:text/html,<script>{js}</script>>",
            '<meta http-equiv=refresh content="0;url=javascript:{js}">',
            '<img src="x" alt="" onerror="{js}" title="{m}">',
            '![x" onerror="{js}]({m}.png)',
            '![{m}](x"onerror="{js})',
            '![{m}](https://example.org/i.png"onload="{js})',
            '[{m}](https://example.org/" onmouseover="{js})',
            "[{m}](https://example.org/'onclick='{js})",
            '<a href="https://example.org" onmouseover="{js}">{m}</a>',
            'x" onfocus="{js}" autofocus="',
            "x' onfocus='{js}' autofocus='",
            '" autofocus onfocus={js} x="',
        ]
    ]


def _svg_and_frames() -> list[tuple[str, str]]:
    return [
        ("svg", t)
        for t in [
            "<svg onload={js}>",
            "<svg/onload={js}>",
            "<svg><script>{js}</script></svg>",
            "<svg><animate onbegin={js} attributeName=x dur=1s>",
            "<svg><a xlink:href=javascript:{js}><text x=20 y=20>{m}</text></a></svg>",
            "<svg><use href=data:image/svg+xml,<svg id=x onload={js}></svg>#x>",
            "<svg><set attributeName=onmouseover to={js}>",
            '<svg><foreignObject><iframe srcdoc="<script>{js}</script>"></iframe></foreignObject>',
            "<math><a xlink:href=javascript:{js}>{m}</a></math>",
            "<iframe src=javascript:{js}></iframe>",
            '<iframe srcdoc="<script>{js}</script>"></iframe>',
            "<iframe src=data:text/html,<script>{js}</script>></iframe>",
            "<frameset onload={js}>",
            "<object data=data:text/html,<script>{js}</script>></object>",
            "<embed src=data:image/svg+xml,<svg onload={js}>>",
            "![{m}](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        ]
    ]


def _css() -> list[tuple[str, str]]:
    return [
        ("css", t)
        for t in [
            "<style>@import 'javascript:{js}';</style>",
            '<style>body{{background:url("javascript:{js}")}}</style>',
            '<div style="background:url(javascript:{js})">{m}</div>',
            '<div style="width: expression({js});">{m}</div>',
            '<p style="position:fixed;top:0;left:0;width:100%;height:100%">{m}</p>',
            "<span style=behavior:url(x.htc)>{m}</span>",
            "<link rel=stylesheet href=javascript:{js}>",
            "<style>*{{color:red}}</style>{m}",
            '<x style="x:expression({js})">{m}</x>',
            '<span class="usa-modal" style="display:block">{m}</span>',
        ]
    ]


def _markdown_tricks() -> list[tuple[str, str]]:
    return [
        ("markdown", t)
        for t in [
            "[{m}](javascript:{js})",
            '[{m}](javascript:{js} "t")',
            "[{m}]( javascript:{js})",
            "[{m}](javascript&#58;{js})",
            "[{m}](Javas&#99;ript:{js})",
            "[{m}](javascript://%0d%0a{js})",
            "[{m}](javascript://www.example.org%0A{js})",
            "[{m}]('javascript:{js}')",
            "[{m}][ref]\n\n[ref]: javascript:{js}",
            "[{m}][ref]\n\n[ref]: <javascript:{js}>",
            "[{m}]\n\n[{m}]: javascript:{js}",
            "![{m}](javascript:{js})",
            "![{m}][img]\n\n[img]: javascript:{js}",
            "[![{m}](x.png)](javascript:{js})",
            "<javascript:{js}>",
            "<vbscript:msgbox('{m}')>",
            "<data:text/html,<script>{js}</script>>",
            "[a](<javascript:{js}>) {m}",
            '[{m}](#" onclick="{js})',
            '[{m}](mailto:x@example.org"onclick="{js})',
            "**[{m}](javascript:{js})**",
            "_[{m}](javascript:{js})_",
            "> [{m}](javascript:{js})",
            "1. [{m}](javascript:{js})",
            "[{m}](https://example.org/?q=<script>{js}</script>)",
            '[{m}](http://example.org\\"onclick=\\"{js})',
            "https://example.org/<script>{js}</script> {m}",
            'www.example.org/"><script>{js}</script> {m}',
            "{m}@example.org<script>{js}</script>",
            "[{m}](//evil.example.org)",
            "[{m}](\\\\evil.example.org)",
            "[{m}](https:evil.example.org)",
            "@{m} <script>{js}</script>",
            "# {m} <img src=x onerror={js}>",
            "{m}\n===\n<script>{js}</script>",
            "~~~\n</code></pre><script>{js}</script>\n~~~",
            "`` ` `` <script>{js}</script> {m}",
            "[{m}](javascript:{js}\n)",
            "<!-- {m} --><script>{js}</script>",
            "<!--><script>{js}</script>-->",
            "<!-- --!><img src=x onerror={js}> {m}",
            "<![CDATA[<script>{js}</script>]]>",
            '<?xml version="1.0"?><script>{js}</script>',
            "<!DOCTYPE html><script>{js}</script>",
            "\\<script>{js}\\</script>",
            "&lt;script&gt;{js}&lt;/script&gt;",
            "&#60;script&#62;{js}&#60;/script&#62;",
            "%3Cscript%3E{js}%3C/script%3E",
            "\\u003cscript\\u003e{js}\\u003c/script\\u003e",
            "{{{{ {m} }}}} {{% raw %}}<script>{js}</script>{{% endraw %}}",
            "{{{{ config }}}} {m} {{{{ 7*7 }}}}",
            "${{{m}}} #{{{m}}} <%= {m} %>",
        ]
    ]


def _plain_oddities() -> list[tuple[str, str]]:
    long_word = "A" * 5000
    return [
        ("oddity", t)
        for t in [
            "{m}\u202egnp.exe",
            "\u202e{m} <script>{js}</script>",
            "\u2066{m}\u2069 \u2067isolate\u2069 \u200f",
            "{m}\u200b\u200c\u200d\ufeff zero width",
            "{m} \u0000 null byte",
            "\u0000<script>{js}</script>",
            "{m} " + long_word,
            "{m}" + "x" * 300,
            "{m} " + "\u0301" * 200,
            "{m} 𝓽𝓮𝔁𝓽 ﷽ 🧑🏽‍🔧 عربى עברית",
            "{m}\r\n\r\n\r\nmany\nlines\n" + "\n" * 50,
            "{m}\t\t\ttabs\x0b\x0c",
            "{m} \x1b[31mANSI\x1b[0m \x07",
            "{m} '; DROP TABLE users; --",
            "{m} ' OR '1'='1",
            '{m} =HYPERLINK("https://evil.example.org")',
            "=cmd|' /C calc'!A0 {m}",
            "+{m}",
            "-{m}",
            "@SUM(1+1) {m}",
            "{m} ../../../../etc/passwd",
            "{m} %s%s%s%n %x",
            "{m} \ud7ff \ue000 \uffff",
            "{m}   ",
            "   {m}",
            "<{m}>",
            "{m} & &amp; &lt; &gt; &quot; &#39;",
            "{m} \" ' ` < > & \\",
            "{m} </body></html>",
            "</main><h1>{m}</h1>",
            "<input type=hidden name=csrf_token value={m}>",
            "<form id=logout><button form=logout>{m}</button>",
            '<a id="main-content" name="{m}">clobber</a>',
            "<img name=getElementById id={m}>",
            "{m}" + "<b>" * 300,
            "{m}" + "[" * 500 + "](x)",
            "{m}" + "*" * 1000,
            "{m}" + "> " * 200 + "deep",
            "{m}" + "\n".join(f"{i}. item" for i in range(50)),
            "{m} http://" + "a." * 200 + "example.org",
        ]
    ]


def _links() -> list[tuple[str, str]]:
    # Every scheme spelling in a markdown link, plus a sample in the other link forms.
    combos: list[tuple[str, str]] = []
    for scheme in _SCHEMES:
        combos.append(("link", _LINK_FORMS[0].replace("{url}", scheme + "{js}")))
    forms = itertools.cycle(_LINK_FORMS[1:])
    for scheme in _SCHEMES:
        combos.append(("link", next(forms).replace("{url}", scheme + "{js}")))
    return combos


def _build() -> list[Payload]:
    templates = (
        _script_tags()
        + _handlers()
        + _svg_and_frames()
        + _css()
        + _markdown_tricks()
        + _plain_oddities()
        + _links()
    )
    calls = itertools.cycle(_JS_CALLS)
    payloads: list[Payload] = []
    for number, (category, template) in enumerate(templates, start=1):
        marker = f"hst{number:04d}k"
        js = next(calls).replace("{m}", marker)
        text = template.replace("{js}", js).replace("{m}", marker)
        text = text.replace("{{", "{").replace("}}", "}")
        if marker not in text:  # every payload shows its marker somewhere
            text = f"{marker} {text}"
        payloads.append(Payload(number, category, text))
    return payloads


PAYLOADS: list[Payload] = _build()
BY_MARKER: dict[str, Payload] = {p.marker: p for p in PAYLOADS}

assert len(PAYLOADS) >= 200, len(PAYLOADS)
assert len(BY_MARKER) == len(PAYLOADS)
