"""Helpers the tests and the benchmarks share: the offline model caches, random-weight stand-ins
for models whose weights are missing here, and the app served on a local port."""
