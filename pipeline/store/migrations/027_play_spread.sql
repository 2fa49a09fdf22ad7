-- The spread of play in the games won and lost over the crawl's players, which throwing is
-- judged against (pipeline/analysis/spread.py): the median and scale of loss deaths and of
-- the win-loss gap, and over how many players. The analyzer works it out with its
-- baselines; NULL until its next pass, which then rescores everyone.
ALTER TABLE scoring_state ADD COLUMN loss_deaths_median DOUBLE;
ALTER TABLE scoring_state ADD COLUMN loss_deaths_scale DOUBLE;
ALTER TABLE scoring_state ADD COLUMN win_loss_gap_median DOUBLE;
ALTER TABLE scoring_state ADD COLUMN win_loss_gap_scale DOUBLE;
ALTER TABLE scoring_state ADD COLUMN spread_players BIGINT;
