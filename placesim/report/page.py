"""HTML building blocks of the report: escaping, tables, inline figures, sections, the page.

Everything is inline (CSS in a ``<style>`` element, figures as base64 PNG data URIs), so
the page needs no network and no other file to be read or printed.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
"""Resolution of the inline figures (a 7.5 x 4 inch figure is 750 x 400 pixels)."""

CSS = """
:root { --ink: #1b1b1b; --muted: #555; --rule: #c8c8c8; --accent: #1d4f91; --shade: #f3f5f8; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--ink);
       font-size: 11pt; line-height: 1.45; margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 62rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 1.3rem 0 .4rem; }
p, li { max-width: 48rem; }
.subtitle { color: var(--muted); margin: 0 0 1rem; }
nav.contents { background: var(--shade); padding: .6rem 1rem; border-radius: 4px; }
nav.contents ol { margin: .2rem 0; padding-left: 1.4rem; columns: 2; }
nav.contents a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 9.5pt; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .4rem; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); text-align: left; background: var(--shade); }
td.num, th.num { text-align: right; }
td .mean { white-space: nowrap; }
td .ci { display: block; color: var(--muted); font-size: 8.5pt; white-space: nowrap; }
table.compact { font-size: 8.5pt; }
table.compact td { padding: .15rem .35rem; }
table.compact td .ci { white-space: normal; overflow-wrap: anywhere; }
span.code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8pt; overflow-wrap: anywhere; }
[class^="status-"] { white-space: nowrap; }
.status-assumption { color: #8a4b00; font-weight: 600; }
.status-not-stated { color: #a00; font-weight: 600; }
figure { margin: .8rem 0 1.2rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e2e2e2; }
figcaption { color: var(--muted); font-size: 9.5pt; margin-top: .3rem; }
.note { color: var(--muted); font-size: 9.5pt; }
.headline-number { font-size: 1.3rem; font-weight: 700; color: var(--accent); }
ol.messages { list-style: none; padding: 0; margin: .6rem 0; }
li.message { display: grid; grid-template-columns: 10rem minmax(0, 1fr); gap: .4rem 1.2rem; max-width: none;
             border-left: 4px solid var(--accent); background: var(--shade); padding: .6rem .9rem; margin: 0 0 .6rem; }
li.message .headline-number { display: block; font-size: 1.6rem; line-height: 1.2; overflow-wrap: anywhere; }
li.message .ci { white-space: normal; }
li.message p { margin: 0 0 .3rem; }
li.message ul { margin: .2rem 0 0; padding-left: 1.2rem; }
@media (max-width: 36rem) { li.message { grid-template-columns: minmax(0, 1fr); } }
.unavailable { border-left: 4px solid #b2182b; background: #fbf0f0; padding: .5rem .8rem; }
.box { border: 1px solid var(--rule); background: var(--shade); padding: .4rem 1rem .8rem; border-radius: 4px; }
.box dl { display: grid; grid-template-columns: 14rem 1fr; gap: .2rem 1rem; margin: .4rem 0; }
.box dt { font-weight: 600; }
.box dd { margin: 0; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 9.5pt; padding: 0; max-width: none; }
  h2, h3, caption { break-after: avoid; }
  figure, tr, .box, .unavailable, li.message { break-inside: avoid; }
  thead { display: table-header-group; }
  nav.contents a { color: var(--ink); }
}
"""


def esc(text: object) -> str:
    """HTML-escaped text of any value."""
    return html.escape(str(text), quote=True)


def slug(text: str) -> str:
    """A lower-case id fragment of ``text`` (letters, digits and hyphens)."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def code(text: object) -> str:
    """Monospaced text that may wrap after a dot (long parameter paths)."""
    escaped = esc(text).replace(".", ".<wbr>")
    return f"<span class='code'>{escaped}</span>"


def interval_cell(text: str) -> str:
    """A ``mean ± half`` or ``mean [lower, upper]`` cell with the interval on its own line."""
    for sep in (" ± ", " ["):
        if sep in text:
            mean, rest = text.split(sep, 1)
            rest = ("± " if sep == " ± " else "[") + rest
            return f"<span class='mean'>{esc(mean)}</span><span class='ci'>{esc(rest)}</span>"
    return esc(text)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, caption: str = "", id: str | None = None,
          numeric: Sequence[bool] | None = None, css: str = "") -> str:
    """An HTML table; cells are HTML already (escape text with :func:`esc`).

    Parameters
    ----------
    header
        Column headings (plain text).
    rows
        Cells of each row (HTML).
    caption
        Plain-text caption.
    id
        The table's id.
    numeric
        Per column: right-align it.
    css
        Extra class names.
    """
    right = [" class='num'" if n else "" for n in (numeric if numeric is not None else [False] * len(header))]
    head = "".join(f"<th scope='col'{a}>{esc(h)}</th>" for a, h in zip(right, header))
    body = "".join("<tr>" + "".join(f"<td{a}>{c}</td>" for a, c in zip(right, r)) + "</tr>" for r in rows)
    attrs = (f" id='{esc(id)}'" if id else "") + (f" class='{esc(css)}'" if css else "")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table{attrs}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(fig: Figure, *, id: str, alt: str, caption: str = "") -> str:
    """A matplotlib figure as an inline PNG ``<figure>``; the figure is closed.

    Parameters
    ----------
    fig
        The figure (closed afterwards, so a notebook does not also show it).
    id
        Id of the ``<img>`` (its ``<figure>`` gets ``<id>-figure``).
    alt
        Alternative text: what the figure shows, for a screen reader or a failed image.
    caption
        How to read it (plain text).
    """
    import matplotlib.pyplot as plt

    try:
        buffer = BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f"<figure id='{esc(id)}-figure'><img id='{esc(id)}' alt='{esc(alt)}' "
            f"src='data:image/png;base64,{data}'>{cap}</figure>")


def section(id: str, title: str, body: str) -> str:
    """A ``<section>`` with an id and an ``<h2>`` heading."""
    return f"<section id='{esc(id)}'><h2>{esc(title)}</h2>{body}</section>"


def paragraph(text: str, css: str = "") -> str:
    """An escaped paragraph."""
    attr = f" class='{esc(css)}'" if css else ""
    return f"<p{attr}>{esc(text)}</p>"


def unavailable(reason: str) -> str:
    """A highlighted 'not available: <reason>' block."""
    text = reason if reason.lower().startswith("not available") else f"Not available: {reason}"
    return f"<div class='unavailable'><p>{esc(text[0].upper() + text[1:])}</p></div>"


def page(title: str, subtitle: str, contents: Sequence[tuple[str, str]], sections: Sequence[str]) -> str:
    """The whole HTML document.

    Parameters
    ----------
    title, subtitle
        Plain text shown at the top (and the title in the browser tab).
    contents
        ``(section id, heading)`` pairs for the table of contents.
    sections
        The sections' HTML, in order.
    """
    nav = "".join(f"<li><a href='#{esc(i)}'>{esc(h)}</a></li>" for i, h in contents)
    return ("<!DOCTYPE html>\n<html lang='en-GB'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header id='top'><h1>{esc(title)}</h1><p class='subtitle'>{esc(subtitle)}</p>"
            f"<nav class='contents' aria-label='Contents'><strong>Contents</strong><ol>{nav}</ol></nav></header>"
            f"<main>{''.join(sections)}</main></body></html>\n")


def percent(level: float) -> str:
    """``0.9`` -> ``'90 %'``."""
    return f"{100 * level:.3g}\u00a0%"
