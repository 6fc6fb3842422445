import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "convop",
    max_examples=int(os.environ.get("CONVOP_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("convop")
