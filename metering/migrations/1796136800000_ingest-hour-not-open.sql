-- Up Migration

-- Ingest stores events and their hours' totals in one statement, committed on its own. When an hour of
-- those events is no longer open (closed while the statement ran), the statement calls this to fail, so
-- that nothing is stored; ingest then stores them in a transaction that moves them to the next open hour.
CREATE FUNCTION ingest_hour_not_open() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'an hour of these usage events is no longer open' USING ERRCODE = 'MH001';
END
$$;

-- Down Migration
DROP FUNCTION ingest_hour_not_open();
