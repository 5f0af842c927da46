-- An approval that goes ahead over what a plan's preflight reported against it (a Blocked ops board
-- verdict, a migration that never succeeded on staging) carries the approver's reason. Only approvals
-- carry one, and never an empty one; the reason does not change whether the approval counts
-- (approval_counts, migration 011): an override is never a second person.
ALTER TABLE approvals ADD COLUMN override_reason text;
ALTER TABLE approvals ADD CONSTRAINT approvals_override_reason_given
  CHECK (override_reason IS NULL OR (decision = 'approve' AND length(btrim(override_reason)) > 0));
