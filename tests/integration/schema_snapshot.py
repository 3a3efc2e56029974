"""A normalized, diffable description of the punchcard schema, read from the catalogs."""

from __future__ import annotations

from punchcard.adapters.postgres.types import Connection

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE n.nspname = 'punchcard' AND c.relkind = 'r'
 ORDER BY c.relname, a.attnum
"""
_CONSTRAINTS = """
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid, true)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'punchcard'
 ORDER BY c.relname, k.conname
"""
_INDEXES = """
SELECT tablename, indexname, indexdef FROM pg_indexes
 WHERE schemaname = 'punchcard' ORDER BY tablename, indexname
"""
_TRIGGERS = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'punchcard' AND NOT t.tgisinternal
 ORDER BY c.relname, t.tgname
"""
_OTHERS = """
SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'punchcard'
UNION ALL
SELECT 'sequence ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'punchcard' AND c.relkind = 'S'
ORDER BY 1
"""


def describe(conn: Connection) -> str:
    lines: list[str] = []
    for table, column, type_, not_null, default, identity in conn.execute(_COLUMNS):
        extra = " NOT NULL" if not_null else ""
        extra += f" DEFAULT {default}" if default else ""
        extra += " IDENTITY" if identity else ""
        lines.append(f"column {table}.{column} {type_}{extra}")
    lines += [f"constraint {t}.{name}: {d}" for t, name, d in conn.execute(_CONSTRAINTS)]
    lines += [f"index {t}.{name}: {d}" for t, name, d in conn.execute(_INDEXES)]
    lines += [f"trigger {t}.{name}: {d}" for t, name, d in conn.execute(_TRIGGERS)]
    lines += [line for (line,) in conn.execute(_OTHERS)]
    return "\n".join(lines) + "\n"
