"""The diary's load test (`make load`): see `bench.load.__main__`."""
