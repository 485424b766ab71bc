-- Password reset tokens (Zou keeps them in its key-value store): one live
-- token per email, redeemed once, refused after expires_at.
CREATE TABLE tusk_reset_token (
    email VARCHAR(255) NOT NULL PRIMARY KEY,
    token VARCHAR(64) NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
