"""A progress bar for long runs (or none).

The bar goes to standard error, so that a table printed to standard output (or redirected
to a file) stays clean, and it never asks for Jupyter's widgets: in a notebook it is a line
of text on stderr when the run ends, with no warning about ipywidgets.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_console() -> Console:
    """The console progress is drawn on: standard error, never Jupyter's widget display."""
    return Console(stderr=True, force_jupyter=False)


def progress_bar(total: int, enabled: bool, label: str) -> AbstractContextManager[Callable[[], None]]:
    """A rich progress bar context yielding an ``advance()`` callable (or a no-op)."""
    if not enabled:
        return nullcontext(lambda: None)
    class _Bar(AbstractContextManager):
        def __enter__(self) -> Callable[[], None]:
            self.p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), transient=False, console=progress_console())
            self.p.__enter__()
            self.task = self.p.add_task(label, total=total)
            return lambda: self.p.advance(self.task)

        def __exit__(self, *exc: Any) -> Any:
            return self.p.__exit__(*exc)

    return _Bar()
