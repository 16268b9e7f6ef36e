"""Random streams: one per purpose, keyed by name, drawn in blocks.

Every stream of replication ``r`` comes from
``SeedSequence(entropy=seed, spawn_key=(r, crc32(purpose), crc32(key)))`` (a resident's
blocks from ``spawn_key=(r, crc32(purpose), index, block)``), so a stream depends only on
the seed, the replication, what it is for and whose it is (a service's name, a
neighbourhood team, a resident's index) -- never on the order in which streams are
created. Two scenarios run with the same seed therefore share common random numbers:
adding an INT does not move the background arrivals of a service, nor the transition
draws of a resident it never touches.

Draws are made a block at a time with numpy and handed out by a Python iterator, so the
per-event cost of a draw is ``next(it)`` rather than a numpy call.

A resident's stream is its first block of :data:`RESIDENT_FIRST_BLOCK` draws (every
resident's drawn at once), then blocks of :data:`RESIDENT_BLOCK` of its own. Those are
handed out in chunks of :data:`RESIDENT_CHUNK`, each drawn when it is needed (the block's
generator advanced to the chunk), so a resident holds at most a chunk of unused draws; the
draws are the same as if the whole block had been drawn at once.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

import numpy as np

BLOCK = 1024
RESIDENT_FIRST_BLOCK = 16
RESIDENT_BLOCK = 256
RESIDENT_CHUNK = 32
CHUNKS_PER_BLOCK = RESIDENT_BLOCK // RESIDENT_CHUNK
TRANSITIONS = "resident-transitions"
"""Purpose of a resident's stream of transition draws (clock and choice)."""
CARE = "resident-care"
"""Purpose of a resident's stream of service decisions (durations, patience, referrals ...)."""
CRISIS_CONTACTS = "crisis-contacts"
"""Purpose of a crisis response's stream of repeat contacts per episode (keyed ``domain/service``)."""
CRISIS_CONTACT_DAYS = "crisis-contact-days"
"""Purpose of a crisis response's stream of uniforms placing its repeat contacts in time."""


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class Streams:
    """Factory of the random streams of one replication.

    Parameters
    ----------
    seed
        The run's seed (a non-negative integer).
    replication
        Replication index.
    """

    def __init__(self, seed: int, replication: int):
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, purpose: str, key: str = "") -> np.random.Generator:
        """An independent numpy Generator for ``purpose`` and ``key``."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _key(purpose), _key(key)))
        return np.random.Generator(np.random.PCG64(ss))

    def iterator(self, purpose: str, key: str, sampler: Callable[[np.random.Generator], Callable[[int], np.ndarray]]
                 | None = None) -> Iterator[float]:
        """Endless iterator of draws: uniforms on [0, 1), or from ``sampler(rng)`` blocks."""
        rng = self.generator(purpose, key)
        draw = sampler(rng) if sampler is not None else rng.random
        return _blocks(draw)

    def resident_first_blocks(self, n: int, purpose: str) -> np.ndarray:
        """The first block of each of ``n`` residents' streams for ``purpose``, drawn at once
        (row ``i`` is resident ``i``'s; the rest come from :meth:`resident_chunk`)."""
        return self.generator(purpose, "first").random((n, RESIDENT_FIRST_BLOCK))

    def resident_block(self, purpose: str, index: int, block: int) -> np.ndarray:
        """Block number ``block`` (>= 1) of resident ``index``'s own stream for ``purpose``."""
        return self._resident_rng(purpose, index, block).random(RESIDENT_BLOCK)

    def resident_chunk(self, purpose: str, index: int, chunk: int) -> np.ndarray:
        """Chunk number ``chunk`` (>= 0) of resident ``index``'s stream for ``purpose`` after its
        first block: draws ``RESIDENT_CHUNK * (chunk % CHUNKS_PER_BLOCK)`` onwards of its block
        ``1 + chunk // CHUNKS_PER_BLOCK``, the same as :meth:`resident_block` would give."""
        block, part = divmod(chunk, CHUNKS_PER_BLOCK)
        # a double costs one 64-bit output of PCG64, so advancing skips the draws before the chunk
        return self._resident_rng(purpose, index, block + 1, part * RESIDENT_CHUNK).random(RESIDENT_CHUNK)

    def _resident_rng(self, purpose: str, index: int, block: int, skip: int = 0) -> np.random.Generator:
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, _key(purpose), index, block))
        bits = np.random.PCG64(ss)
        if skip:
            bits.advance(skip)
        return np.random.Generator(bits)


def _blocks(draw: Callable[[int], np.ndarray]) -> Iterator[float]:
    while True:
        yield from draw(BLOCK).tolist()
