"""`kanbert seed`: fill a space with a large, realistic, reproducible data set (benchmarks,
demos, load tests). See `generate.py` for what is written and which invariants it keeps."""

from kanbert.seed.generate import NoSpace, Seeded, Sizes
from kanbert.seed.run import seed_database

__all__ = ["NoSpace", "Seeded", "Sizes", "seed_database"]
