"""Generators run by engineers, never by the nightly path: the demo's submissions (`sample`), the
national sample (`national`) and the reference areas seeds built from the 2025 packages (`areas`).
"""
