-- file only: a lake has no keys to drop.
-- The participants without their key index: DuckDB writes a table's whole key index back
-- to the file at every checkpoint, and the writers checkpoint about every commit, so at
-- 6.2 M stored game rows the index took most of each commit of new matches (0.5-0.7 s for
-- 100 matches, 0.06-0.26 s without it). The writers keep the key themselves, as on a lake:
-- a match's participants are stored only with the match, once per (match_id, puuid).
CREATE TEMP TABLE match_participants_kept AS SELECT * FROM match_participants;
DROP TABLE match_participants;
-- Copied as it stands: the columns, their order and types come from the table itself; only
-- the key goes, and with it the NOT NULL it implied, given back to its columns.
CREATE TABLE match_participants AS SELECT * FROM match_participants_kept;
ALTER TABLE match_participants ALTER COLUMN match_id SET NOT NULL;
ALTER TABLE match_participants ALTER COLUMN puuid SET NOT NULL;
DROP TABLE match_participants_kept;
