"""The loyalty programme's pure domain: settings, lots, commands and their arithmetic."""
