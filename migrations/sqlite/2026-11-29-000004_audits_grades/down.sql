DROP TABLE activity_log;
DROP TABLE grades;
DROP TABLE audit_findings;
DROP TABLE audits;
