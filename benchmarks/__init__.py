"""Performance and quality benchmarks (`make bench`); not part of `make test`."""
