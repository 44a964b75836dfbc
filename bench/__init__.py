"""Load benchmarks of the Kanbert API against a bare-driver floor (`python -m bench`)."""
