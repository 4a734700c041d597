DROP TABLE chemical_changes;
ALTER TABLE chemicals DROP COLUMN controlled_from;
