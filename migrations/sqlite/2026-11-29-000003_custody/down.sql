DROP TABLE custody_finding_notes;
DROP TABLE custody_findings;
DROP TABLE custody_runs;
