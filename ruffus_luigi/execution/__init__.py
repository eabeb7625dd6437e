"""Running planned jobs: chunks, retries, back ends, checkpoint strategies, driver and workers."""
