"""Writing output files without ever leaving a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import xarray as xr

from .errors import PlacesimError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[str]:
    """A temporary path in ``path``'s folder, renamed over ``path`` only if the block completes.

    On any error the temporary file is removed and ``path`` is untouched. The file gets
    the mode a plain ``open`` would give it (0666 less the umask).
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise FileNotFoundError(f"cannot write {target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_writable(path: str | Path, *, folder: bool = False) -> None:
    """Check, before any work, that ``path`` can be written: create a temporary file where
    :func:`atomic_path` would (and remove it at once).

    Parameters
    ----------
    path
        The file to be written, or with ``folder=True`` a folder to be written into (it
        may not exist yet: then its parent must, and must be writable).

    Raises
    ------
    PlacesimError
        Saying why it cannot be written (the folder does not exist, is not a folder, is
        read-only, or any other error of the operating system).
    """
    target = Path(path)
    if folder:
        if target.exists() and not target.is_dir():
            raise PlacesimError(f"cannot write to {target}: it is a file, not a folder")
        where = target if target.is_dir() else target.parent
        if not str(where):
            where = Path(".")
    else:
        if target.is_dir():
            raise PlacesimError(f"cannot write {target}: it is a folder")
        where = target.parent if str(target.parent) else Path(".")
    if not where.exists():
        raise PlacesimError(f"cannot write {target}: folder {where} does not exist")
    if not where.is_dir():
        raise PlacesimError(f"cannot write {target}: {where} is not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name or 'placesim'}.", suffix=".part", dir=where)
    except OSError as exc:
        raise PlacesimError(f"cannot write {target}: {os_reason(exc)} (could not create a file in {where})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def os_reason(exc: OSError) -> str:
    """An operating-system error in words, without the file name it repeats:
    ``'permission denied'``, ``'read-only file system'``, ``'no space left on device'``."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` as NetCDF-4, atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")
    return Path(path)


def write_bytes_atomic(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path``, atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)
