-- Tusk's own tables (hand-written; not part of Zou's schema).

-- Revoked JWTs, keyed by their jti claim; rows can be purged once expired.
CREATE TABLE tusk_revoked_token (
    jti character varying(64) NOT NULL PRIMARY KEY,
    expires_at timestamp without time zone NOT NULL
);

CREATE INDEX ix_tusk_revoked_token_expires_at ON tusk_revoked_token USING btree (expires_at);
