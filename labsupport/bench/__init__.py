"""Benchmarks: figures that say how the lab and the service behave on this machine.

Run them with ``python -m labsupport.bench <name>``; they print figures and assert nothing.
"""
