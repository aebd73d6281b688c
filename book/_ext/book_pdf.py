"""Link every page of the site to the whole book as a PDF.

``tools/build_pdf.py`` prints the book (Sphinx's single page, in Chromium) into
``_build/html/_downloads/lrcore-book.pdf`` after the site is built; ``make book`` runs it, so the
link resolves wherever the site does (``tests/test_links.py`` checks it). The link is the last
entry of the theme's download menu ("book .pdf"), after the entries for the page itself.

Not in the site without solutions (``tools/build_book.py --hide-solutions``): the PDF holds
them. Nor in the single page that is printed (its menu is not printed).
"""

from __future__ import annotations

from sphinx.application import Sphinx

#: Where build_pdf.py writes the PDF, relative to the site's root (its PDF_NAME).
PDF = "_downloads/lrcore-book.pdf"


def add_book_pdf(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.name != "html" or getattr(app.config, "hide_solutions", False):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](PDF, 1),
                    "text": "book .pdf",
                    "tooltip": "Download the whole book as a PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def setup(app: Sphinx) -> dict:
    # After the theme builds its menu (priority 501), like notebook_downloads.
    app.connect("html-page-context", add_book_pdf, priority=503)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
