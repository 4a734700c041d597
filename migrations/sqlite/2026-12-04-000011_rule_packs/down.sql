ALTER TABLE grades DROP COLUMN rule_pack;
ALTER TABLE custody_runs DROP COLUMN rule_pack;
