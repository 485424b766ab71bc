-- Tusk's own tables (hand-written; not part of Zou's schema).

-- Revoked JWTs, keyed by their jti claim; rows can be purged once expired.
CREATE TABLE tusk_revoked_token (
    jti VARCHAR(64) NOT NULL PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

CREATE INDEX ix_tusk_revoked_token_expires_at ON tusk_revoked_token (expires_at);
