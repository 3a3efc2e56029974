"""Finance: what the programme owes, how it moved, and the revenue its points release."""
