export { checkRelativePath } from "../../lib/relpath.ts";

/** Key material gets 0600 whatever mode is asked: never group- or world-readable. */
export function isKeyMaterial(name: string): boolean {
  return /(\.key|\.p12|\.pfx|\.jks|key\.pem|-key\.pem|_key\.pem|\.keystore)$/i.test(name) || /^id_(rsa|ecdsa|ed25519|dsa)$/.test(name);
}

/** The mode a pushed file gets: the sender's permission bits (default 0644), at most 0600 for key material; never setuid/setgid/sticky. */
export function modeFor(name: string, requested: number): number {
  const base = requested & 0o777 || 0o644;
  return isKeyMaterial(name) ? base & 0o600 : base;
}
