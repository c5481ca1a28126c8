/**
 * The registry's schema, as an append-only list: never edit a shipped entry,
 * add a new one. `PRAGMA user_version` records how many have been applied.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the registry
  `
  CREATE TABLE services (
    name        TEXT PRIMARY KEY,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  );
  CREATE TABLE components (
    service         TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    spec_json       TEXT NOT NULL,
    spec_hash       TEXT NOT NULL,
    desired         TEXT NOT NULL CHECK (desired IN ('running','stopped','ignore')),
    observed        TEXT NOT NULL DEFAULT 'unknown'
                    CHECK (observed IN ('running','stopped','exited','paused','removed','unknown')),
    version         TEXT NOT NULL DEFAULT '',
    image_digest    TEXT NOT NULL DEFAULT '',
    container_id    TEXT NOT NULL DEFAULT '',
    container_name  TEXT NOT NULL,
    observed_at     INTEGER NOT NULL DEFAULT 0,
    deployed_at     INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (service, name)
  );
  CREATE TABLE deployments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    service       TEXT NOT NULL,
    component     TEXT NOT NULL,
    spec_json     TEXT NOT NULL,
    spec_hash     TEXT NOT NULL,
    image_digest  TEXT NOT NULL DEFAULT '',
    version       TEXT NOT NULL DEFAULT '',
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL DEFAULT 'pending'
                  CHECK (outcome IN ('pending','ok','failed','rolled_back')),
    message       TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX deployments_by_component ON deployments(service, component, id);
  CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    service    TEXT NOT NULL DEFAULT '',
    component  TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    message    TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX events_by_time ON events(time);
  CREATE INDEX events_by_service ON events(service, id);
  CREATE TABLE tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL DEFAULT 0,
    last_used_at  INTEGER NOT NULL DEFAULT 0,
    revoked_at    INTEGER NOT NULL DEFAULT 0
  );
  `,
  // 2: the deploy (or rollback) call a deployment belongs to, numbered per service.
  `
  ALTER TABLE deployments ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;
  `,
  // 3: the audit trail, one row per RPC.
  `
  CREATE TABLE audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    time         INTEGER NOT NULL,
    method       TEXT NOT NULL,
    identity     TEXT NOT NULL,
    peer         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL
  );
  CREATE INDEX audit_by_time ON audit(time);
  `,
  // 4: service-scoped tokens (SPEC §7.1): the services a token may act on,
  // comma-separated (names cannot hold a comma); '' = every service.
  `
  ALTER TABLE tokens ADD COLUMN services TEXT NOT NULL DEFAULT '';
  `,
  // 5: the truth of a component beyond podman's state (SPEC §7.5, §7.7): the
  // probe's verdict ('' | healthy | unhealthy) and whether a deploy was cut
  // short by a crash (1 = unverified: the next deploy runs the gate again).
  `
  ALTER TABLE components ADD COLUMN health TEXT NOT NULL DEFAULT '';
  ALTER TABLE components ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: secrets of services (SPEC §7.3): the value lives in podman only; here
  // its facts, the version that changes with the value (random, so it tells
  // nothing about the value), and a keyed hash (HMAC-SHA256 with a random
  // per-secret key) that tells a `secret set` of the same value again.
  `
  CREATE TABLE secrets (
    service      TEXT NOT NULL,
    name         TEXT NOT NULL,
    podman_name  TEXT NOT NULL UNIQUE,
    size         INTEGER NOT NULL,
    version      TEXT NOT NULL,
    mac_key      TEXT NOT NULL,
    mac          TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (service, name)
  );
  `,
  // 7: what a call adds to its audit record (SPEC §7.4: an exec's target, argv
  // and exit status; never its stdin); '' for every other call.
  `
  ALTER TABLE audit ADD COLUMN detail TEXT NOT NULL DEFAULT '';
  `,
];
