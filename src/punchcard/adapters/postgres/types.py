"""The connection type every adapter takes: psycopg rows as plain tuples."""

from __future__ import annotations

import psycopg
from psycopg.rows import TupleRow

Connection = psycopg.Connection[TupleRow]
