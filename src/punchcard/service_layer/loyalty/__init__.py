"""The loyalty programme's use cases, on top of the ledger engine."""
