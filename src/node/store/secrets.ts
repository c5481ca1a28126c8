import type { Db } from "./db.ts";

/** A secret of a service as the registry keeps it (SPEC §7.3): never its value. */
export interface SecretRecord {
  service: string;
  name: string;
  /** The runtime's name of it (see node/secrets podmanSecretName). */
  podmanName: string;
  size: number;
  /** Changes whenever the value does; random, so it tells nothing about the value. */
  version: string;
  /** HMAC-SHA256 key and hash of the value (hex): a set of the same value again changes nothing. Never shown. */
  macKey: string;
  mac: string;
  createdAt: number;
  updatedAt: number;
}

const COLUMNS = "service, name, podman_name AS podmanName, size, version, mac_key AS macKey, mac, created_at AS createdAt, updated_at AS updatedAt";

/** One secret, or null. */
export function getSecret(db: Db, service: string, name: string): SecretRecord | null {
  return (db.query(`SELECT ${COLUMNS} FROM secrets WHERE service = ? AND name = ?`).get(service, name) as SecretRecord | null) ?? null;
}

/** The secrets of one service ("" = every service), by service and name. */
export function listSecretRecords(db: Db, service = ""): SecretRecord[] {
  return (service
    ? db.query(`SELECT ${COLUMNS} FROM secrets WHERE service = ? ORDER BY name`).all(service)
    : db.query(`SELECT ${COLUMNS} FROM secrets ORDER BY service, name`).all()) as SecretRecord[];
}

/** Creates or replaces a secret's record (created_at kept on replace). */
export function putSecret(db: Db, s: Omit<SecretRecord, "createdAt" | "updatedAt">, now: number): void {
  db.query(
    `INSERT INTO secrets (service, name, podman_name, size, version, mac_key, mac, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (service, name) DO UPDATE SET podman_name = excluded.podman_name, size = excluded.size, version = excluded.version,
       mac_key = excluded.mac_key, mac = excluded.mac, updated_at = excluded.updated_at`,
  ).run(s.service, s.name, s.podmanName, s.size, s.version, s.macKey, s.mac, now, now);
}

/** Forgets a secret; false when there was none. */
export function deleteSecret(db: Db, service: string, name: string): boolean {
  return db.query("DELETE FROM secrets WHERE service = ? AND name = ?").run(service, name).changes > 0;
}
