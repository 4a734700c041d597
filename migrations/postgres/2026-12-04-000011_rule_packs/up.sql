-- Issue 12: the rule pack (`name@version`) a validation run judged by and a grade was confirmed
-- under, so that old results stay explainable (NULL: before rule packs, i.e. cn@2026.1's rules).
ALTER TABLE custody_runs ADD COLUMN rule_pack TEXT;
ALTER TABLE grades ADD COLUMN rule_pack TEXT;
