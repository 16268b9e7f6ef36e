"""Decisions under uncertainty: probabilistic sensitivity analysis, value of information and
what drives the answer (issue 13). ``placesim.uncertainty(...)`` is :func:`.psa.uncertainty`.
Nothing is imported here: :mod:`.spec` sits below the options file, the rest above it."""
