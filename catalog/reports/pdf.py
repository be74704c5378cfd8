"""Documents to PDF: a Django template rendered to HTML, then to A4 PDF by xhtml2pdf, with
the project's own fonts (DejaVu Sans Condensed, regular and bold: ș ț with the comma below,
ă â î; shipped in `fonts/`, never fetched) and nothing else readable: no network, no other
file (xhtml2pdf's resource policy)."""

import base64
import io
from pathlib import Path

import qrcode
from django.template.loader import render_to_string
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

FONT_DIR = Path(__file__).resolve().with_name("fonts")
FONTS = {"regular": FONT_DIR / "DejaVuSansCondensed.ttf", "bold": FONT_DIR / "DejaVuSansCondensed-Bold.ttf"}
_POLICY = ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR, extra_roots=(FONT_DIR,))


class RenderFailed(RuntimeError):
    """xhtml2pdf reported errors: the document is not issued."""


def pdf_render(template: str, context: dict) -> bytes:
    html = render_to_string(template, {**context, "fonts": FONTS})
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=_POLICY)
    if status.err:
        raise RenderFailed(f"{template}: {status.err} error(s)")
    return out.getvalue()


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as a PNG data: URI (part of the document, nothing to fetch)."""
    image = qrcode.make(text, box_size=4, border=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
