/**
 * The agent config's operations sections (SPEC §7.6, §7.8): `[prune]`,
 * `[metrics]` and `[[notify]]`, as written (valibot) and as the agent uses
 * them. A notify URL and header values may carry secrets (a webhook's token,
 * an ntfy topic): problems name the key and what is wrong, never the value.
 */
import * as v from "valibot";
import { isDuration, MAX_TIMER_MS, parseDuration } from "../lib/duration.ts";
import { hostPortProblem, splitHostPort } from "./_paths.ts";

/** Headers a channel may set at most, and the longest name and value. */
export const NOTIFY_LIMITS = { headers: 16, nameLength: 64, valueLength: 1024 } as const;

/** Headers mcp sets itself (or HTTP does): a channel may not. */
const RESERVED_HEADERS = new Set(["host", "content-length", "content-type", "transfer-encoding", "connection", "authorization", "te", "upgrade", "expect"]);

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Why a notify URL is refused, or null: https (http only to a loopback address), no user or password in it. Never quotes the URL. */
export function notifyUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL (write it as https://host/path)";
  }
  if (url.protocol === "http:" && !LOOPBACK.has(url.hostname)) return "must be https:// (http:// only to a loopback address: alerts and tokens would cross the network in clear)";
  if (url.protocol !== "https:" && url.protocol !== "http:") return `must be https:// (not ${url.protocol.slice(0, 16)})`;
  if (url.username !== "" || url.password !== "") return "must not hold a user or password (use token_file or headers)";
  if (text.length > 2048) return "is longer than 2048 characters";
  return null;
}

const headerName = v.pipe(
  v.string(),
  v.check((n) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n) && n.length <= NOTIFY_LIMITS.nameLength, `a header name is a token (letters, digits, - and a few marks) of at most ${NOTIFY_LIMITS.nameLength} characters`),
  v.check((n) => !RESERVED_HEADERS.has(n.toLowerCase()), "this header is mcp's or HTTP's own (use token_file for Authorization)"),
);
const headerValue = v.pipe(
  v.string(),
  // eslint-disable-next-line no-control-regex
  v.check((s) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(s), "a header value must not hold line breaks or control characters"),
  v.check((s) => Buffer.byteLength(s) <= NOTIFY_LIMITS.valueLength, `a header value is at most ${NOTIFY_LIMITS.valueLength} bytes`),
);
const timeout = v.pipe(
  v.string(),
  v.check(isDuration, "is not a duration (write it as 500ms, 2s, 1m)"),
  v.check((s) => !isDuration(s) || (parseDuration(s) > 0 && parseDuration(s) <= MAX_TIMER_MS), "must be longer than 0 and at most 24d"),
);

/** `[prune]`: deployments whose images a prune keeps per component (SPEC §7.6). */
export const PruneSchema = v.strictObject({
  keep: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.maxValue(10_000, "must be at most 10000"))),
});

/** `[metrics]`: where the Prometheus endpoint listens (SPEC §7.8); absent = off. */
export const MetricsSchema = v.strictObject({
  listen: v.pipe(v.string(), v.check((s) => splitHostPort(s, { allowZero: true }) !== null, (i) => hostPortProblem(i.input as string))),
});

/** One `[[notify]]` channel. */
export const NotifySchema = v.strictObject({
  url: v.pipe(v.string(), v.check((s) => notifyUrlProblem(s) === null, (i) => `url ${notifyUrlProblem(i.input as string)}`)),
  kind: v.optional(v.picklist(["webhook", "ntfy"])),
  token_file: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
  ca_cert: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
  headers: v.optional(v.pipe(
    v.record(headerName, headerValue),
    v.check((h) => Object.keys(h).length <= NOTIFY_LIMITS.headers, `at most ${NOTIFY_LIMITS.headers} headers`),
  )),
  timeout: v.optional(timeout),
});

/** A notification channel as the agent uses it. */
export interface NotifyConfig {
  url: string;
  kind: "webhook" | "ntfy";
  /** File whose content (trimmed) is sent as `Authorization: Bearer …`; "" = none. Read at each send. */
  tokenFile: string;
  /** CA certificate the channel's TLS certificate is checked against; "" = the system's roots. */
  caCert: string;
  headers: Record<string, string>;
  /** Deadline of one attempt. */
  timeoutMs: number;
}

/** `[prune]`, `[metrics]` and `[[notify]]` with defaults; `path` resolves file paths like the rest of the config. */
export function buildOps(
  raw: { prune?: v.InferOutput<typeof PruneSchema>; metrics?: v.InferOutput<typeof MetricsSchema>; notify?: v.InferOutput<typeof NotifySchema>[] },
  path: (value: string, key: string) => string,
): { prune: { keep: number }; metrics: { listen: string } | null; notify: NotifyConfig[] } {
  return {
    prune: { keep: raw.prune?.keep ?? 3 },
    metrics: raw.metrics ? { listen: raw.metrics.listen } : null,
    notify: (raw.notify ?? []).map((n, i) => ({
      url: n.url,
      kind: n.kind ?? "webhook",
      tokenFile: n.token_file ? path(n.token_file, `notify[${i}].token_file`) : "",
      caCert: n.ca_cert ? path(n.ca_cert, `notify[${i}].ca_cert`) : "",
      headers: { ...(n.headers ?? {}) },
      timeoutMs: parseDuration(n.timeout ?? "10s"),
    })),
  };
}
