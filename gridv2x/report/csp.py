"""The report's Content-Security-Policy: only the report's own inline scripts may run.

The report is one self-contained HTML file (plotly.js and each figure's ``Plotly.newPlot``
call are inline scripts). Instead of allowing every inline script (``'unsafe-inline'``) and
string evaluation (``'unsafe-eval'``), :func:`lock_scripts` lists the SHA-256 of each inline
script the report itself wrote in ``script-src``: a script injected into the page any other
way (none is known: all text is escaped) would not run, and ``eval``/``new Function`` are
refused. plotly.js draws every figure of the report under this policy without a CSP
violation (checked in headless Chromium by ``tests/report/test_browser.py``); the report uses
no WebGL traces, whose need for ``eval`` is not checked here.
"""

from __future__ import annotations

import base64
import hashlib
import re

__all__ = ["lock_scripts", "POLICY_TEMPLATE"]

POLICY_TEMPLATE = (
    "default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)
"""The policy; ``{hashes}`` becomes the ``'sha256-...'`` source of every inline script."""

_SCRIPT = re.compile(r"<script(?:\s+type=\"text/javascript\")?>(.*?)</script>", re.DOTALL)
_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')


def _source(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def lock_scripts(html: str) -> str:
    """Put the hash of every inline script of ``html`` into its CSP ``script-src``.

    Parameters
    ----------
    html : str
        The rendered report with one ``<meta http-equiv="Content-Security-Policy">``.

    Returns
    -------
    str
        The same page whose policy allows exactly its own inline scripts.
    """
    hashes = sorted({_source(body) for body in _SCRIPT.findall(html)})
    policy = POLICY_TEMPLATE.format(hashes=" ".join(hashes) or "'none'")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    locked, count = _META.subn(lambda _m: meta, html, count=1)
    if count != 1:
        raise ValueError("the report template has no Content-Security-Policy meta element")
    return locked
