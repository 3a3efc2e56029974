-- An operation's row is written once and finished once: the guard compares its
-- columns one by one. It compared the rows as to_jsonb, which serialized the
-- operation's result and inputs (a kilobyte or two each) twice on every finish,
-- the most expensive trigger of an earn. tests/integration/test_database_rules.py
-- changes each column of the table in turn and expects a refusal, so a column
-- added later without being added here fails that test.

CREATE OR REPLACE FUNCTION record_result_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.result IS NULL AND NEW.result IS NOT NULL
       AND OLD.inputs IS NULL
       AND (NEW.tenant_id, NEW.id, NEW.idempotency_key, NEW.kind, NEW.request_hash,
            NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.tenant_id, OLD.id, OLD.idempotency_key, OLD.kind, OLD.request_hash,
            OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'operations are append-only except for their one result: % refused', TG_OP
        USING ERRCODE = 'PC001', CONSTRAINT = 'operations_append_only';
END
$$;
