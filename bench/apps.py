from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmarks, synthetic data and load tests: tooling beside the product, not part of it.
    No models; it reads and writes the catalogue's tables through `catalogue.trials`."""

    name = "bench"
    verbose_name = "Benchmarks and synthetic data"
