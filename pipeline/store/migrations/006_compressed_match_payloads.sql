-- Raw match payloads are stored zstd-compressed: ~10 KB instead of ~75 KB a match on disk,
-- and commits write a seventh of the bytes. `pipeline.store.load_match_payload` reads
-- either form; rows written before this migration keep their `raw_json`.
ALTER TABLE match_payloads ADD COLUMN payload_zstd BLOB;
ALTER TABLE match_payloads ALTER COLUMN raw_json DROP NOT NULL;
