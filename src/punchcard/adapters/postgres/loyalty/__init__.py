"""The loyalty layer's repositories: the only loyalty code that talks to PostgreSQL."""
