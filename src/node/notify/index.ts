/**
 * Notifications (SPEC §7.8, `[[notify]]`): every alert goes to every
 * channel, each with its own queue and retries, besides `alert_command`.
 */
import { readFile } from "node:fs/promises";
import { McpError, messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { AlertFacts } from "../monitor/index.ts";
import { createChannel, RETRY_DEFAULTS, type Channel, type ChannelConfig, type ChannelIo, type ChannelStats, type RetryPolicy } from "./channel.ts";

export { channelLabel, RETRY_DEFAULTS, type ChannelConfig, type ChannelStats, type RetryPolicy } from "./channel.ts";
export { notifyRequest, ntfyPriority, ntfyTags, type ChannelKind, type NotifyRequest } from "./format.ts";

export interface Notifier {
  /** Hands the alert to every channel; returns at once. */
  send(a: AlertFacts): void;
  stats(): ChannelStats[];
  /** Resolves when every channel's queue is empty (tests). */
  idle(): Promise<void>;
  close(): void;
}

/** The channels of `[[notify]]`; with none, send does nothing. `caCert` is a path here (read once, at start). */
export async function createNotifier(o: {
  channels: readonly ChannelConfig[];
  log: Logger;
  policy?: Partial<RetryPolicy>;
  fetch?: ChannelIo["fetch"];
}): Promise<Notifier> {
  const io: ChannelIo = { fetch: o.fetch ?? ((url, init) => fetch(url, init)), readFile: (p) => readFile(p, "utf8"), log: o.log };
  const policy = { ...RETRY_DEFAULTS, ...o.policy };
  const channels: Channel[] = [];
  for (const [i, c] of o.channels.entries()) {
    let ca = "";
    try {
      ca = c.caCert ? await readFile(c.caCert, "utf8") : "";
    } catch (err) {
      throw new McpError("invalid_argument", `notify[${i}].ca_cert: cannot read ${c.caCert}: ${messageOf(err)}`, "fix the path in the agent config");
    }
    channels.push(createChannel(i, { ...c, caCert: ca }, io, policy));
  }
  return {
    send(a) {
      for (const c of channels) c.enqueue(a);
    },
    stats: () => channels.map((c) => c.stats()),
    idle: async () => void (await Promise.all(channels.map((c) => c.idle()))),
    close() {
      for (const c of channels) c.close();
    },
  };
}
