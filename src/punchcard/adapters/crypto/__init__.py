"""Cryptography: AES-256-GCM envelopes, keyed lookup hashes, the local key file."""
