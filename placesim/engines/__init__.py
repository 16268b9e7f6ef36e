"""Simulation engines: ``des`` (the reference discrete-event engine)."""
