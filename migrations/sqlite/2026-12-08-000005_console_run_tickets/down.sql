DROP TABLE console_run_tickets;
