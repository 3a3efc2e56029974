"""The benchmarks behind `make bench` (not part of the test suite)."""
