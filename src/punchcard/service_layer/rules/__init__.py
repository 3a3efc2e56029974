"""The rules engine's use cases: governing rulesets, rating earns, tiers, simulation."""
