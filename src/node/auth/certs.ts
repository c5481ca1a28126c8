import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { bits, bool, explicit, implicit, octets, oid, seq, set, time, uint, utf8 } from "./_der.ts";

/** A certificate and its private key, both PEM. */
export interface CertPair {
  certPem: string;
  keyPem: string;
}

const ECDSA_SHA256 = "1.2.840.10045.4.3.2";
const DAY = 86_400_000;

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function name(commonName: string): Uint8Array {
  return seq(set(seq(oid("2.5.4.10"), utf8("mcp"))), set(seq(oid("2.5.4.3"), utf8(commonName))));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function keyId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(spki).digest());
}

function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split(".").map(Number));
  // IPv6: expand "::" and write 8 groups of 16 bits.
  const [head = "", tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Who signs a certificate: its name, private key and public key (SPKI, DER). */
interface Issuer {
  name: string;
  key: KeyObject;
  spki: Uint8Array;
}

/**
 * Makes a new key pair (ECDSA P-256) and a certificate for it, signed by
 * `issuer`, or by the new key itself when there is none (a CA).
 */
function issue(o: { subject: string; issuer?: Issuer; days: number; now: number; extensions: Uint8Array[] }): CertPair {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const issuer = o.issuer ?? { name: o.subject, key: privateKey, spki };
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, uint(Uint8Array.of(2))),
    uint(serial),
    seq(oid(ECDSA_SHA256)),
    name(issuer.name),
    // Backdated an hour so that a slightly slow client clock still accepts it.
    seq(time(new Date(o.now - 3_600_000)), time(new Date(o.now + o.days * DAY))),
    name(o.subject),
    spki,
    explicit(3, seq(
      ...o.extensions,
      extension("2.5.29.14", false, octets(keyId(spki))),
      extension("2.5.29.35", false, seq(implicit(0, keyId(issuer.spki)))),
    )),
  );
  const signature = new Uint8Array(sign("sha256", tbs, issuer.key)); // DER (r, s) for EC keys
  const certPem = pem("CERTIFICATE", seq(tbs, seq(oid(ECDSA_SHA256)), bits(signature)));
  return { certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/** Creates a self-signed CA (ECDSA P-256) valid for `days`. */
export function createCa(opts: { commonName: string; days?: number; now?: number }): CertPair {
  return issue({
    subject: opts.commonName,
    days: opts.days ?? 3650,
    now: opts.now ?? Date.now(),
    extensions: [
      extension("2.5.29.19", true, seq(bool(true), uint(Uint8Array.of(0)))),
      // keyCertSign | cRLSign | digitalSignature
      extension("2.5.29.15", true, Uint8Array.of(0x03, 0x02, 0x01, 0x86)),
    ],
  });
}

/**
 * Issues a server certificate signed by `ca`, with DNS SANs for `dnsNames`
 * and IP SANs for `ipAddresses` (serverAuth and clientAuth).
 */
export function issueCert(opts: {
  ca: CertPair;
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  days?: number;
  now?: number;
}): CertPair {
  const caCert = new X509Certificate(opts.ca.certPem);
  const issuer: Issuer = {
    name: /CN=([^\n,]+)/.exec(caCert.subject)?.[1] ?? "mcp CA",
    key: createPrivateKey(opts.ca.keyPem),
    spki: new Uint8Array(caCert.publicKey.export({ type: "spki", format: "der" })),
  };
  const sans = [
    ...opts.dnsNames.map((d) => implicit(2, new TextEncoder().encode(d))),
    ...opts.ipAddresses.map((ip) => implicit(7, ipBytes(ip))),
  ];
  return issue({
    subject: opts.commonName,
    issuer,
    days: opts.days ?? 825,
    now: opts.now ?? Date.now(),
    extensions: [
      extension("2.5.29.19", true, seq()),
      extension("2.5.29.15", true, Uint8Array.of(0x03, 0x02, 0x07, 0x80)), // digitalSignature
      extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"))),
      extension("2.5.29.17", false, seq(...sans)),
    ],
  });
}

/** Facts about a certificate, for status and renewal. */
export function describeCert(certPem: string): { subject: string; notAfter: number; dnsNames: string[]; ipAddresses: string[] } {
  const c = new X509Certificate(certPem);
  const alt = c.subjectAltName ?? "";
  return {
    subject: c.subject,
    notAfter: Date.parse(c.validTo),
    dnsNames: [...alt.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!),
    ipAddresses: [...alt.matchAll(/IP Address:([^,\s]+)/g)].map((m) => m[1]!),
  };
}
