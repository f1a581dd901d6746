-- +goose Up
-- Operators of the console and their credentials. Passwords are bcrypt hashes; every token is stored only as
-- its SHA-256 hash, so a database dump cannot be replayed.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    verified_at   TIMESTAMPTZ,
    language      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE access_tokens (
    token_hash   BYTEA PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX access_tokens_user_idx ON access_tokens (user_id);

-- Single-use tokens sent by mail: purpose 'verify' (24 h) or 'reset' (1 h).
CREATE TABLE email_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

-- Failed logins, counted per key ('user:<name>' or 'addr:<ip>') so throttling holds across processes.
CREATE TABLE login_failures (
    id         BIGSERIAL PRIMARY KEY,
    key        TEXT NOT NULL,
    failed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_idx ON login_failures (key, failed_at);

-- Process-wide settings shared through the database, e.g. the generated SECRET_KEY.
CREATE TABLE app_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Server-side data of the pages' sessions (flash messages, language, webauth state), for gorilla/sessions.
CREATE TABLE web_sessions (
    id         TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE app_settings;
DROP TABLE login_failures;
DROP TABLE email_tokens;
DROP TABLE access_tokens;
DROP TABLE users;
