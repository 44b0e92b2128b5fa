"""The PDF of the report: weasyprint over the print version of the same pages.

Weasyprint may only read files inside the report folder; any other URL (http, https,
a file elsewhere) stops the build instead of being fetched or silently left out.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["write_pdf"]

logger = logging.getLogger(__name__)


def _fetcher(folder: Path):  # -> weasyprint.urls.URLFetcher
    from weasyprint.urls import URLFetcher

    root = folder.resolve()

    class _LocalOnly(URLFetcher):
        """Reads files inside the report folder; refuses everything else."""

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if path == root or root in path.parents:
                    return super().fetch(url, headers)
            raise ValueError(f"the report may only read files inside {root}, not {url}")

    return _LocalOnly(allowed_protocols={"file"}, fail_on_errors=True)


def write_pdf(html: str, folder: Path, target: Path) -> Path:
    """Render ``html`` (whose relative links resolve inside ``folder``) to ``target``.

    Parameters
    ----------
    html : str
        The print version of the report.
    folder : Path
        The report folder: relative URLs resolve here and nothing outside it is read.
    target : Path
        The PDF file to write.
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    try:
        document = HTML(
            string=html, base_url=folder.resolve().as_uri() + "/", url_fetcher=_fetcher(folder)
        ).render()
    except FatalURLFetchingError as exc:  # a BaseException in weasyprint: make it an error
        raise RuntimeError(f"the PDF could not be built: {exc} ({exc.__cause__})") from exc
    logger.info("PDF: %d pages", len(document.pages))
    document.write_pdf(target)
    return target
