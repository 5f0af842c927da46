-- Run records that stay true when a worker dies or loses its database.
--   mutating_step:   the step that changes things a run started last (set with mutation_started, before
--                    the step starts), so a run whose worker was lost can say what may be half done;
--   outcome_unknown: a failed run whose change may or may not have happened (its worker died, or could
--                    not record the step's result): people must check before running it again.
ALTER TABLE runs ADD COLUMN mutating_step text;
ALTER TABLE runs ADD COLUMN outcome_unknown boolean NOT NULL DEFAULT false;
ALTER TABLE runs ADD CONSTRAINT runs_outcome_unknown_is_failed CHECK (NOT outcome_unknown OR status = 'failed') NOT VALID;
