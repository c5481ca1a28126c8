/**
 * One notification channel: a bounded FIFO queue and one worker that sends
 * each alert with retries and backoff. Nothing here waits for a caller:
 * `enqueue` returns at once, so the monitor and the other channels never
 * wait on a slow or dead receiver. A channel's trouble is logged once per
 * incident (its first failure), and once when it delivers again.
 */
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { AlertFacts } from "../monitor/index.ts";
import { notifyRequest, type ChannelKind } from "./format.ts";

/** Where and how one channel sends. */
export interface ChannelConfig {
  url: string;
  kind: ChannelKind;
  /** Read (trimmed) at each send as `Authorization: Bearer …`; "" = none. */
  tokenFile: string;
  /** PEM of a CA the receiver's certificate is checked against; "" = the system's roots. */
  caCert: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** How hard a channel tries. */
export interface RetryPolicy {
  /** Tries per alert (the first included). */
  attempts: number;
  /** The wait after the first failed try; it doubles up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Alerts waiting at most; past it the oldest is dropped (and counted). */
  queueMax: number;
}

export const RETRY_DEFAULTS: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, queueMax: 100 };

/** Counters of one channel, for /metrics. */
export interface ChannelStats {
  label: string;
  kind: ChannelKind;
  sent: number;
  /** Alerts given up on (attempts used, or a 4xx answer). */
  failed: number;
  /** Alerts dropped because the queue was full. */
  dropped: number;
  /** Failed tries (retries included). */
  errors: number;
  queued: number;
}

/** The I/O a channel needs, passed in (tests give a fake fetch and fast timers). */
export interface ChannelIo {
  fetch: (url: string, init: RequestInit & { tls?: { ca?: string } }) => Promise<Response>;
  readFile: (path: string) => Promise<string>;
  log: Logger;
}

/** A failure worth retrying (network, timeout, 5xx, 429) or not (any other answer). */
class SendError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
  }
}

/** The label a channel is logged and measured by: its position, kind and host; never its path, which may be a secret (ntfy topic, webhook token). */
export function channelLabel(index: number, c: Pick<ChannelConfig, "url" | "kind">): string {
  let host = "?";
  try {
    host = new URL(c.url).host;
  } catch {
    // validated by the config; "?" only if not
  }
  return `notify[${index}] ${c.kind} ${host}`;
}

export function createChannel(index: number, cfg: ChannelConfig, io: ChannelIo, policy: RetryPolicy = RETRY_DEFAULTS) {
  const label = channelLabel(index, cfg);
  const queue: AlertFacts[] = [];
  const stats: ChannelStats = { label, kind: cfg.kind, sent: 0, failed: 0, dropped: 0, errors: 0, queued: 0 };
  const stop = new AbortController();
  let working: Promise<void> | null = null;
  /** An incident is open: its first failure was logged, later ones are not until a delivery works again. */
  let troubled = false;
  let lostInIncident = 0;

  async function sendOnce(a: AlertFacts): Promise<void> {
    const req = notifyRequest(cfg.kind, a);
    const headers: Record<string, string> = { ...cfg.headers, ...req.headers };
    if (cfg.tokenFile) {
      let token: string;
      try {
        token = (await io.readFile(cfg.tokenFile)).trim();
      } catch (err) {
        throw new SendError(`cannot read its token_file: ${messageOf(err)}`, true);
      }
      headers.authorization = `Bearer ${token}`;
    }
    let res: Response;
    try {
      res = await io.fetch(cfg.url, {
        method: "POST", headers, body: req.body, redirect: "manual",
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(cfg.timeoutMs)]),
        ...(cfg.caCert ? { tls: { ca: cfg.caCert } } : {}),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new SendError(timedOut ? `no answer within ${cfg.timeoutMs} ms` : `unreachable: ${messageOf(err)}`, true);
    }
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return;
    throw new SendError(`answered HTTP ${res.status}`, res.status >= 500 || res.status === 429 || res.status === 408);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      stop.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }

  async function deliver(a: AlertFacts): Promise<void> {
    for (let attempt = 1; !stop.signal.aborted; attempt++) {
      try {
        await sendOnce(a);
        stats.sent++;
        if (troubled) {
          io.log.info("notify channel delivers again", { channel: label, lost: lostInIncident });
          troubled = false;
          lostInIncident = 0;
        }
        return;
      } catch (err) {
        const e = err instanceof SendError ? err : new SendError(messageOf(err), true);
        stats.errors++;
        if (!troubled) {
          troubled = true;
          io.log.warn("notify channel failing; retrying with backoff (logged once until it delivers again)", {
            channel: label, error: e.message, kind: a.kind, service: a.service, component: a.component,
          });
        }
        if (!e.retry || attempt >= policy.attempts) {
          stats.failed++;
          lostInIncident++;
          io.log.debug("notify gave up on an alert", { channel: label, error: e.message, attempts: attempt });
          return;
        }
        await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  async function work(): Promise<void> {
    while (queue.length > 0 && !stop.signal.aborted) {
      const a = queue.shift()!;
      stats.queued = queue.length;
      await deliver(a);
    }
    working = null;
  }

  return {
    label,
    /** Queues an alert and returns at once; the oldest waiting one is dropped when the queue is full. */
    enqueue(a: AlertFacts): void {
      if (stop.signal.aborted) return;
      queue.push(a);
      if (queue.length > policy.queueMax) {
        queue.shift();
        stats.dropped++;
        lostInIncident++;
        if (stats.dropped === 1 || stats.dropped % 100 === 0) io.log.warn("notify queue full; dropped the oldest alert", { channel: label, dropped: stats.dropped });
      }
      stats.queued = queue.length;
      working ??= work();
    },
    stats: (): ChannelStats => ({ ...stats }),
    /** Resolves when the queue is empty and nothing is being sent (tests). */
    idle: async () => {
      while (working) await working;
    },
    /** Stops: the send in flight is cancelled, queued alerts are dropped. */
    close(): void {
      stop.abort();
      queue.length = 0;
      stats.queued = 0;
    },
  };
}

export type Channel = ReturnType<typeof createChannel>;
