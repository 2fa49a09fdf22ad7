-- Changes to players already queued for scoring (new games, profile or rank). An analyzer
-- pass runs in one transaction: a change committed while it runs is not in its snapshot,
-- and the pass may take that player off players_to_score with a score that has not seen
-- it. So the store also notes here every player it would queue who is queued already, and
-- each pass first queues again the players noted and empties the table: the noted rows it
-- could not see stay for the next pass. Append-only (no key): writers never touch a row a
-- pass deletes, so the two never collide.
CREATE TABLE players_to_score_again (
    puuid       VARCHAR NOT NULL,
    noted_at    TIMESTAMP NOT NULL
);
