"""``handgrad playground``: TF Playground's lesson on handgrad's real layers, in the browser.

Run ``handgrad playground`` (``--port N``, ``--host H``, ``--no-open``): a local server starts
and the page opens. Training runs in this process, with real handgrad layers; the page shows it
live over Server-Sent Events. Modules, one job each:

* :mod:`~handgrad.playground.spec`: the setup (data, one or two networks, display), validated.
* :mod:`~handgrad.playground.urlstate`: the setup as a URL fragment, and back.
* :mod:`~handgrad.playground.datasets`, :mod:`~handgrad.playground.features`: the points and
  the inputs x1, x2, x1², x2², x1·x2, sin(x1), sin(x2).
* :mod:`~handgrad.playground.csvdata`: uploaded CSV files and clicked points, checked.
* :mod:`~handgrad.playground.network`: a setup's network as a ``handgrad.Sequential``.
* :mod:`~handgrad.playground.trainer`: training in slices in a thread, publishing snapshots.
* :mod:`~handgrad.playground.views`, :mod:`~handgrad.playground.doctor`: what the page draws,
  and the training doctor's findings.
* :mod:`~handgrad.playground.codegen`: Python code that retrains the same network exactly.
* :mod:`~handgrad.playground.session`, :mod:`~handgrad.playground.server`,
  :mod:`~handgrad.playground.command`: tabs, HTTP, and the command line.

The page itself (``static/``: HTML, CSS and JavaScript modules) ships in the package; nothing is
fetched from the internet.
"""

from .server import PlaygroundServer, start

__all__ = ["PlaygroundServer", "start"]
