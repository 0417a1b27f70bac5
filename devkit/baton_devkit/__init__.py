"""Baton's development kit: never installed with the product, used by the demo, tests and benchmarks."""
