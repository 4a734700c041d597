DROP INDEX custody_findings_first_seen;
DROP INDEX shipment_refusals_refused_at;
DROP INDEX ledger_entries_dispatched_at;
DROP INDEX ledger_entries_recorded_at;
DROP TABLE webhook_deliveries;
DROP TABLE subscriptions;
DROP TABLE event_cursors;
DROP TABLE events;
