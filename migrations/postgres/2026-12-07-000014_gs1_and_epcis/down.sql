DROP TABLE epcis_events;
DROP TABLE gs1_identifiers;
