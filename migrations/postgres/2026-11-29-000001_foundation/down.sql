DROP TABLE permit_chemicals;
DROP TABLE permits;
DROP TABLE chemicals;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE firm_status_changes;
DROP TABLE firms;
