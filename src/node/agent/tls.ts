import * as grpc from "@grpc/grpc-js";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describeCert, issueCert } from "../auth/index.ts";
import { McpError, messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";

/** Renew (own CA) or warn (someone else's) when fewer than this many days remain. */
export const RENEW_DAYS = 30;

type IdentityUpdate = { certificate: Buffer; privateKey: Buffer } | null;
type CaUpdate = { caCertificate: Buffer } | null;

/** The agent's TLS material, reloadable while it serves. */
export interface CertSource {
  credentials: grpc.ServerCredentials;
  /** Reads the files again; new connections get them (running calls keep theirs). False when they are unusable (the old ones stay). */
  reload(why: string): boolean;
  /** The current certificate's expiry (Unix ms). */
  notAfter(): number;
  close(): void;
  /** The PEM files' current content (the metrics endpoint serves them too). */
  pem(): { cert: Buffer; key: Buffer; ca: Buffer | null };
  /** Calls l after each reload that changed them; returns the unsubscribe function. */
  onChange(l: () => void): () => void;
}

function readPair(certFile: string, keyFile: string): { cert: Buffer; key: Buffer; notAfter: number } {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const x = new X509Certificate(cert);
  if (!x.checkPrivateKey(createPrivateKey(key))) throw new Error(`${keyFile} is not the key of ${certFile}`);
  return { cert, key, notAfter: Date.parse(x.validTo) };
}

/**
 * TLS for the agent's server through a certificate provider of our own, so
 * that the certificate (and the client CA) can change without a restart:
 * `reload()` on SIGHUP, and on its own when the files change (a watch on
 * their directory, which also sees a file replaced by rename). A reload that
 * finds a broken pair logs it and keeps serving with the old one.
 */
export function createCertSource(o: { certFile: string; keyFile: string; clientCaFile: string; log: Logger }): CertSource {
  let current: { cert: Buffer; key: Buffer; notAfter: number; ca: Buffer | null };
  try {
    current = { ...readPair(o.certFile, o.keyFile), ca: o.clientCaFile ? readFileSync(o.clientCaFile) : null };
  } catch (err) {
    throw new McpError("invalid_argument", `cannot use the TLS certificate: ${messageOf(err)}`, "check [server] tls_cert, tls_key and client_ca in the agent config");
  }
  const identityListeners = new Set<(u: IdentityUpdate) => void>();
  const caListeners = new Set<(u: CaUpdate) => void>();
  const changeListeners = new Set<() => void>();
  const provider = {
    // Listeners are told on the next turn: grpc-js registers its own watcher only after adding them.
    addIdentityCertificateListener(l: (u: IdentityUpdate) => void) {
      identityListeners.add(l);
      queueMicrotask(() => l({ certificate: current.cert, privateKey: current.key }));
    },
    removeIdentityCertificateListener(l: (u: IdentityUpdate) => void) {
      identityListeners.delete(l);
    },
    addCaCertificateListener(l: (u: CaUpdate) => void) {
      caListeners.add(l);
      queueMicrotask(() => l(current.ca ? { caCertificate: current.ca } : null));
    },
    removeCaCertificateListener(l: (u: CaUpdate) => void) {
      caListeners.delete(l);
    },
  };
  // One object serves as both providers: grpc-js's factory takes (ca, identity) but hands them on in the other order.
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(
    provider as never,
    (current.ca ? provider : null) as never,
    current.ca !== null,
  );

  const reload = (why: string): boolean => {
    let next: typeof current;
    try {
      next = { ...readPair(o.certFile, o.keyFile), ca: o.clientCaFile ? readFileSync(o.clientCaFile) : null };
    } catch (err) {
      o.log.error("TLS reload failed; still serving the previous certificate", { why, error: messageOf(err) });
      return false;
    }
    if (next.cert.equals(current.cert) && next.key.equals(current.key) && (next.ca?.equals(current.ca ?? Buffer.alloc(0)) ?? current.ca === null)) {
      return true;
    }
    current = next;
    for (const l of changeListeners) l();
    for (const l of identityListeners) l({ certificate: current.cert, privateKey: current.key });
    if (current.ca) for (const l of caListeners) l({ caCertificate: current.ca });
    o.log.info("TLS certificate reloaded", { why, notAfter: new Date(current.notAfter).toISOString() });
    return true;
  };

  // Watch the directories of the files; changes settle for 200 ms before a reload.
  const watchers: FSWatcher[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const names = new Set([o.certFile, o.keyFile, o.clientCaFile].filter(Boolean).map((f) => basename(f)));
  for (const dir of new Set([o.certFile, o.keyFile, o.clientCaFile].filter(Boolean).map((f) => dirname(f)))) {
    try {
      watchers.push(watch(dir, (_event, name) => {
        if (name && !names.has(String(name))) return;
        clearTimeout(timer);
        timer = setTimeout(() => reload("the files changed"), 200);
      }));
    } catch (err) {
      o.log.warn("cannot watch the TLS files; reload with SIGHUP", { dir, error: messageOf(err) });
    }
  }

  return {
    credentials,
    reload,
    notAfter: () => current.notAfter,
    pem: () => ({ cert: current.cert, key: current.key, ca: current.ca }),
    onChange(l) {
      changeListeners.add(l);
      return () => changeListeners.delete(l);
    },
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

/**
 * Certificate lifetime at start (issue 7): when the server certificate was
 * issued by the CA that `mcp agent init` made (`ca.pem` and `ca-key.pem`
 * beside it) and fewer than RENEW_DAYS days remain, a new one with the same
 * names is issued and written (atomically, key 0600) and this returns
 * "renewed"; a certificate from another CA gets a warning from RENEW_DAYS
 * out. The reload then happens through the file watch or the caller.
 */
export function renewIfDue(o: { certFile: string; keyFile: string; now: number; log: Logger }): "renewed" | "warned" | "fine" {
  const pem = readFileSync(o.certFile, "utf8");
  const facts = describeCert(pem);
  const daysLeft = Math.floor((facts.notAfter - o.now) / 86_400_000);
  if (daysLeft >= RENEW_DAYS) return "fine";
  const dir = dirname(o.certFile);
  const caCert = join(dir, "ca.pem");
  const caKey = join(dir, "ca-key.pem");
  let ours = false;
  if (existsSync(caCert) && existsSync(caKey)) {
    try {
      ours = new X509Certificate(pem).verify(new X509Certificate(readFileSync(caCert)).publicKey);
    } catch {
      ours = false;
    }
  }
  if (!ours) {
    o.log.warn("the agent's TLS certificate expires soon; it was not issued by this node's own CA, so renew it yourself", {
      daysLeft, notAfter: new Date(facts.notAfter).toISOString(), cert: o.certFile,
    });
    return "warned";
  }
  const cn = /CN=([^\n,]+)/.exec(facts.subject)?.[1] ?? facts.dnsNames[0] ?? "mcp";
  const next = issueCert({
    ca: { certPem: readFileSync(caCert, "utf8"), keyPem: readFileSync(caKey, "utf8") },
    commonName: cn, dnsNames: facts.dnsNames, ipAddresses: facts.ipAddresses, now: o.now,
  });
  // Key first (a reload between the two renames sees a mismatched pair, refuses it and keeps the old one until the cert lands).
  const put = (file: string, text: string) => {
    const tmp = `${file}.renew-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  };
  put(o.keyFile, next.keyPem);
  put(o.certFile, next.certPem);
  o.log.info("renewed the agent's TLS certificate (issued by this node's own CA)", {
    daysLeft, notAfter: new Date(describeCert(next.certPem).notAfter).toISOString(),
  });
  return "renewed";
}
