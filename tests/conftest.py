import os

from hypothesis import HealthCheck, settings

_EXAMPLES = int(os.environ.get("CONVOP_HYPOTHESIS_EXAMPLES", "40"))

# local runs replay the same examples (fast, reproducible); CI draws fresh ones each run
# (CONVOP_HYPOTHESIS_PROFILE=ci, set by .ci/run), and hypothesis prints the seed and the
# failing example when one breaks
settings.register_profile(
    "convop",
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "ci",
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=False,
    print_blob=True,
)
settings.load_profile(os.environ.get("CONVOP_HYPOTHESIS_PROFILE", "convop"))
