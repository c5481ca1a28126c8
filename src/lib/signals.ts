/**
 * Signal names and numbers as Linux has them (x86-64 and arm64 agree): a
 * definition names a component's stop signal (`stop_signal = "SIGINT"`),
 * podman's inspect reports a number.
 */
const NAMES = [
  "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
  "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
  "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
] as const;

/** The first and last real-time signals (glibc reserves 32 and 33). */
const RTMIN = 34;
const RTMAX = 64;

/**
 * A signal's canonical name (`SIGINT`, `SIGRTMIN+3`) from what an operator
 * writes: with or without `SIG`, any case. Null when it names no signal.
 */
export function canonicalSignal(text: string): string | null {
  const upper = text.trim().toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  if ((NAMES as readonly string[]).includes(name)) return name;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,2}))?$/.exec(name);
  if (!rt) return null;
  const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === "-" ? -1 : 1);
  const n = (rt[1] === "MIN" ? RTMIN : RTMAX) + offset;
  return n >= RTMIN && n <= RTMAX ? signalName(n) : null;
}

/** The canonical name of signal number n (`SIGRTMIN+k` for real-time ones); "" when there is none. */
export function signalName(n: number): string {
  if (Number.isInteger(n) && n >= 1 && n <= NAMES.length) return NAMES[n - 1]!;
  if (Number.isInteger(n) && n >= RTMIN && n <= RTMAX) return n === RTMIN ? "SIGRTMIN" : `SIGRTMIN+${n - RTMIN}`;
  return "";
}

/** The number of a canonical signal name; 0 when it is not one. */
export function signalNumber(name: string): number {
  const i = (NAMES as readonly string[]).indexOf(name);
  if (i >= 0) return i + 1;
  const rt = /^SIGRTMIN(?:\+(\d{1,2}))?$/.exec(name);
  const n = rt ? RTMIN + Number(rt[1] ?? 0) : 0;
  return n >= RTMIN && n <= RTMAX ? n : 0;
}
