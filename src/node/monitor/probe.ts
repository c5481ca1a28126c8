import { connect } from "node:net";
import { MAX_TIMER_MS } from "../../lib/duration.ts";
import { isMcpError, messageOf } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { HealthSpec } from "../runtime/types.ts";

/** One probe's answer: passed or not, and (when not) what it said, for the operator. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** What a probe is, in a few words (`GET http://…`, `connect 127.0.0.1:5432`, `cmd pg_isready`). */
export function probeName(h: HealthSpec): string {
  if (h.http) return `GET ${h.http}`;
  if (h.tcp) return `connect ${h.tcp}`;
  return `cmd ${h.cmd.join(" ")}`.slice(0, 120);
}

/**
 * Runs a component's probe once (SPEC §7.5), within its timeout: `cmd`
 * inside the container (exit 0 = healthy), `http` from the agent (a 2xx or
 * 3xx answer; redirects are not followed; the body is never read beyond
 * its status), `tcp` from the agent (a connection that stays open, see
 * TCP_HOLD_MS, or sends a banner = healthy). Never throws
 * for the probe's own failure; a runtime failure other than a timeout does
 * throw (podman itself is broken: not the component's verdict).
 */
export async function probeOnce(runtime: ContainerRuntime, container: string, h: HealthSpec, signal?: AbortSignal): Promise<ProbeResult> {
  const timeoutMs = Math.min(h.timeoutMs, MAX_TIMER_MS);
  if (h.http) return probeHttp(h.http, timeoutMs, signal);
  if (h.tcp) return probeTcp(h.tcp, timeoutMs, signal);
  try {
    const r = await runtime.exec(container, h.cmd, timeoutMs);
    return r.code === 0 ? { ok: true, detail: "" } : { ok: false, detail: r.output || `exit code ${r.code}` };
  } catch (err) {
    if (!isMcpError(err, "deadline_exceeded")) throw err;
    return { ok: false, detail: `no answer within ${seconds(timeoutMs)}: ${messageOf(err)}` };
  }
}

const seconds = (ms: number) => (ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`);

async function probeHttp(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      redirect: "manual",
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: { "user-agent": "mcp-agent probe" },
      // A probe never reuses a connection: each answer is the service's own, now.
      keepalive: false,
    });
    // Only the status matters; the body is dropped unread.
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 400) return { ok: true, detail: "" };
    return { ok: false, detail: `GET ${url} answered ${res.status}` };
  } catch (err) {
    if (timeout.aborted) return { ok: false, detail: `GET ${url}: no answer within ${seconds(timeoutMs)}` };
    return { ok: false, detail: `GET ${url}: ${messageOf(err)}` };
  }
}

/**
 * How long a tcp probe holds a fresh connection: rootless podman's port
 * forwarder accepts every connection on a published port, then closes it
 * (~200 ms here) when nothing listens in the container. A connection still
 * open after this (or one that sent data, a banner) is a listener's.
 */
export const TCP_HOLD_MS = 500;

function probeTcp(target: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const colon = target.lastIndexOf(":");
  const host = target.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(target.slice(colon + 1));
  // Always the full hold (a shorter one would miss the forwarder's close); the timeout is the connect's.
  const hold = TCP_HOLD_MS;
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let done = false;
    let holdTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(holdTimer);
      signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, detail: `connect ${target}: cancelled` });
    const timer = setTimeout(() => finish({ ok: false, detail: `connect ${target}: no answer within ${seconds(timeoutMs)}` }), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    sock.once("connect", () => {
      clearTimeout(timer);
      holdTimer = setTimeout(() => finish({ ok: true, detail: "" }), hold);
    });
    // A banner: somebody listens.
    sock.once("data", () => finish({ ok: true, detail: "" }));
    const closed = () => finish({ ok: false, detail: `connect ${target}: the connection was accepted and closed at once (nothing listens behind the port)` });
    sock.once("end", closed);
    sock.once("close", closed);
    sock.once("error", (err) => finish({ ok: false, detail: `connect ${target}: ${messageOf(err)}` }));
  });
}
