/**
 * Cheap failed authentication (SPEC §7.1): refused (UNAUTHENTICATED) calls
 * are counted per peer address in a window instead of stored one row each,
 * and answered late past a threshold. Pure bookkeeping with an injected
 * clock: the caller audits, logs and holds answers back as told.
 */
import type { Clock } from "../../lib/clock.ts";

export interface FloodOptions {
  /** How long a peer's counting window lasts (ms), from its first refusal. */
  windowMs: number;
  /** Refused calls per window that are answered at once; later ones wait. */
  threshold: number;
  /** The wait of the first refusal past the threshold; it doubles with each further one, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Peers tracked at once; a new one closes (and reports) the oldest window early. */
  maxPeers: number;
  /** Answers held back at once (each holds a call open); past it refusals are answered at once. */
  maxHeld: number;
}

export const FLOOD_DEFAULTS: Readonly<FloodOptions> = {
  windowMs: 60_000, threshold: 20, baseDelayMs: 1000, maxDelayMs: 5000, maxPeers: 4096, maxHeld: 10_000,
};

/** The refusals of one peer's window that were only counted (its first was recorded on its own). */
export interface FloodSummary {
  /** The peer's address without port. */
  peer: string;
  /** The method they called, or "-" when they called several. */
  method: string;
  count: number;
  /** The first and last of them (Unix ms). */
  from: number;
  to: number;
}

/** What to do with one refused call. */
export interface FloodVerdict {
  /** The first refusal of the peer's window: audit and log it as usual; otherwise only counted. */
  record: boolean;
  /** How long to hold the answer back (0 = now); call `release()` once it is sent. */
  delayMs: number;
}

export interface FloodStats {
  /** Peers with an open window. */
  peers: number;
  /** Refused calls counted, delayed calls, and answers held back now. */
  refused: number;
  delayed: number;
  held: number;
}

export interface FloodLimiter {
  /** Counts one refused call from `peer` (a gRPC peer string: `1.2.3.4:567`, `[::1]:567`). */
  refuse(peer: string, method: string): FloodVerdict;
  /** A held answer was sent. */
  release(): void;
  /** Closes the windows that have ended, reporting those with counted calls. Call it now and then. */
  sweep(): void;
  /** Closes every window (at shutdown), reporting those with counted calls. */
  flush(): void;
  stats(): FloodStats;
}

/** The address of a gRPC peer without its port (`ipv4:` / `ipv6:` prefixes and IPv4-mapped IPv6 undone). */
export function peerHost(peer: string): string {
  let p = peer.replace(/^ipv[46]:/, "");
  if (p.startsWith("[")) {
    const end = p.indexOf("]");
    p = end > 0 ? p.slice(1, end) : p;
  } else if (p.split(":").length === 2) {
    p = p.slice(0, p.indexOf(":"));
  }
  return p.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
}

interface Window {
  start: number;
  count: number;
  method: string;
  from: number;
  to: number;
}

/**
 * A limiter: `report` receives one summary per window that counted calls
 * beyond its first, when the window ends (at the peer's next refusal, a
 * `sweep`, an eviction or `flush`).
 */
export function createFloodLimiter(o: { clock: Clock; report: (s: FloodSummary) => void; options?: Partial<FloodOptions> }): FloodLimiter {
  const opt: FloodOptions = { ...FLOOD_DEFAULTS, ...o.options };
  // Insertion order is window start order: the first entry is the oldest.
  const windows = new Map<string, Window>();
  let refused = 0;
  let delayed = 0;
  let held = 0;

  function close(host: string, w: Window): void {
    windows.delete(host);
    if (w.count > 1) o.report({ peer: host, method: w.method, count: w.count - 1, from: w.from, to: w.to });
  }

  return {
    refuse(peer, method) {
      const host = peerHost(peer);
      const now = o.clock.now();
      refused++;
      let w = windows.get(host);
      if (w && now - w.start >= opt.windowMs) {
        close(host, w);
        w = undefined;
      }
      if (!w) {
        while (windows.size >= Math.max(1, opt.maxPeers)) {
          const [oldest, ow] = windows.entries().next().value!;
          close(oldest, ow);
        }
        windows.set(host, { start: now, count: 1, method: "", from: 0, to: 0 });
        return { record: true, delayMs: 0 };
      }
      w.count++;
      if (w.count === 2) {
        w.method = method;
        w.from = now;
      } else if (w.method !== method) {
        w.method = "-";
      }
      w.to = now;
      const over = w.count - opt.threshold;
      if (over <= 0 || held >= opt.maxHeld) return { record: false, delayMs: 0 };
      held++;
      delayed++;
      return { record: false, delayMs: Math.min(opt.maxDelayMs, opt.baseDelayMs * 2 ** Math.min(over - 1, 30)) };
    },
    release() {
      held = Math.max(0, held - 1);
    },
    sweep() {
      const now = o.clock.now();
      for (const [host, w] of windows) {
        if (now - w.start < opt.windowMs) break;
        close(host, w);
      }
    },
    flush() {
      for (const [host, w] of windows) close(host, w);
    },
    stats: () => ({ peers: windows.size, refused, delayed, held }),
  };
}
