"""Hypothesis settings for the property tests: derandomized, so CI sees the same examples."""
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dpt-property",
    derandomize=True,       # the same examples on every run, on every machine
    database=None,          # nothing written into the checkout
    deadline=None,          # a loaded 2-core CI box makes timings meaningless
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("dpt-property")
