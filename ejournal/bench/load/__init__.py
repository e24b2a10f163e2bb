"""The diary's load test (`make load`): see `ejournal.bench.load.__main__`."""
