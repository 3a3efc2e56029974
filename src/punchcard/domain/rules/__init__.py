"""The rules engine's pure domain: ruleset documents, conditions, evaluation, tiers."""
