"""Personal data kept apart from the ledger: what a record is, and how its keys are held."""
