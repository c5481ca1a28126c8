// The process's side of RawStdio (src/lib/io.ts): byte streams, raw mode,
// resizes and signals for mcp exec. Nothing here runs until a command asks.
import type { RawStdio, TermSize } from "../lib/io.ts";

const sizeOf = (): TermSize | null =>
  process.stdout.isTTY && process.stdout.columns && process.stdout.rows ? { cols: process.stdout.columns, rows: process.stdout.rows } : null;

/** RawStdio over process.stdin, stdout and stderr. */
export function createRawStdio(): RawStdio {
  return {
    async *stdin() {
      for await (const chunk of process.stdin) yield chunk as Uint8Array;
    },
    write(fd, data) {
      const out = fd === 1 ? process.stdout : process.stderr;
      if (out.write(data)) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          out.off("drain", done);
          out.off("close", done);
          out.off("error", done);
          resolve();
        };
        out.on("drain", done);
        out.on("close", done);
        out.on("error", done);
      });
    },
    stdinIsTTY: !!process.stdin.isTTY,
    size: sizeOf,
    raw() {
      if (!process.stdin.isTTY) return () => {};
      process.stdin.setRawMode(true);
      let on = true;
      const restore = () => {
        if (!on) return;
        on = false;
        process.off("exit", restore);
        process.stdin.setRawMode(false);
      };
      // Whatever way the process ends, the terminal is given back cooked.
      process.once("exit", restore);
      return restore;
    },
    onResize(fn) {
      if (!process.stdout.isTTY) return () => {};
      const on = () => {
        const s = sizeOf();
        if (s) fn(s);
      };
      process.stdout.on("resize", on);
      return () => void process.stdout.off("resize", on);
    },
    onSignal(fn) {
      const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((sig) => [sig, () => fn(sig)] as const);
      for (const [sig, h] of handlers) process.on(sig, h);
      return () => {
        for (const [sig, h] of handlers) process.off(sig, h);
      };
    },
  };
}
