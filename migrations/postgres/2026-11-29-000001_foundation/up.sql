CREATE TABLE firms (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE,
    region_code TEXT NOT NULL,
    address TEXT NOT NULL,
    activities TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    status_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX firms_region_code ON firms (region_code);

CREATE TABLE firm_status_changes (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX firm_status_changes_firm ON firm_status_changes (firm_id, changed_at);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'enterprise', 'association')),
    firm_id TEXT REFERENCES firms (id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CHECK ((role = 'enterprise') = (firm_id IS NOT NULL))
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE login_failures (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username ON login_failures (username, failed_at);

CREATE TABLE chemicals (
    id TEXT PRIMARY KEY NOT NULL,
    cas TEXT UNIQUE,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL UNIQUE,
    category INTEGER NOT NULL CHECK (category IN (1, 2, 3)),
    pharmaceutical BOOLEAN NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('kg', 'L')),
    note TEXT
);

CREATE TABLE permits (
    id TEXT PRIMARY KEY NOT NULL,
    firm_id TEXT NOT NULL REFERENCES firms (id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    quantity_limit BIGINT CHECK (quantity_limit > 0),
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (valid_until > valid_from),
    UNIQUE (kind, number)
);
CREATE INDEX permits_firm ON permits (firm_id);

CREATE TABLE permit_chemicals (
    permit_id TEXT NOT NULL REFERENCES permits (id),
    chemical_id TEXT NOT NULL REFERENCES chemicals (id),
    PRIMARY KEY (permit_id, chemical_id)
);
