"""Back-tests: results pinned at a fixed seed (see :mod:`tests.backtests.cases`)."""
