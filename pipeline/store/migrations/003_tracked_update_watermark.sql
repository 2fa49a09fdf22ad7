-- The start time of the newest game a tracked player's last complete update stored.
-- The updater lists games after it, so a run cut short (rate limit, timeout, crash)
-- is resumed by the next run without gaps.
ALTER TABLE players ADD COLUMN update_watermark TIMESTAMP;
