/**
 * A stateful ContainerRuntime for tests (STYLE habit 8): containers and
 * images live in Maps, methods fail the way podman does (not_found,
 * already_exists, failed_precondition), and `dump()` shows the state reached.
 * It passes the same contract suite as the podman adapter
 * (test/contract/runtime.contract.ts).
 */
import { systemClock, type Clock } from "../../lib/clock.ts";
import { McpError, messageOf } from "../../lib/errors.ts";
import type { ContainerRuntime, PullOptions } from "./port.ts";
import type { ContainerDetails, ContainerSpec, ImageInfo, ObservedContainer, RuntimeEvent } from "./types.ts";
import {
  EXIT_CMD, makeImage, mergeEnv, randomHex,
  type FakeContainer, type FakeDump, type FakeImage, type FakeRuntimeOptions, type ImageBehaviour, type ProbeBehaviour,
} from "./_fake-types.ts";
import { FakeSecrets, settingsOfSpec } from "./_fake-secrets.ts";
import { findFakeImage, listFakeImages, removeFakeImage } from "./_fake-images.ts";
import { fakeExecSession, type ExecSession, type ExecSessionOptions } from "./_fake-exec.ts";
import { fakeStreamLogs, pushLog } from "./_fake-logs.ts";

export type { FakeContainer, FakeContainerDump, FakeDump, FakeImage, FakeRuntimeOptions, ImageBehaviour, ProbeBehaviour } from "./_fake-types.ts";

/** The fake runtime. Every port method follows src/node/runtime/port.ts; the extra methods arrange and inspect state. */
export class FakeRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, FakeImage>();
  /** Every image ever local, by id: a container keeps its image after the tag moves (as in podman). */
  private readonly imagesById = new Map<string, FakeImage>();
  private readonly remote = new Map<string, FakeImage>();
  private readonly behaviours = new Map<string, { behaviour: ImageBehaviour; exitCode: number }>();
  private readonly failures = new Map<keyof ContainerRuntime, Error[]>();
  private readonly watchers = new Set<(e: RuntimeEvent) => void>();
  private readonly probes = new Map<string, ProbeBehaviour>();
  private readonly clock: Clock;
  private readonly versionText: string;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.versionText = opts.version ?? "fake-4.3.1";
  }

  /** Makes an image present locally (replacing one with the same ref) and returns it. */
  addImage(ref: string, opts: { digest?: string; env?: string[]; size?: number } = {}): ImageInfo {
    const img = makeImage(ref, opts);
    this.images.set(ref, img);
    this.imagesById.set(img.id, img);
    return { id: img.id, digest: img.digest };
  }

  /** Makes an image pullable: a later pull(ref) copies it locally. Replacing it simulates a moved tag. */
  addRemoteImage(ref: string, opts: { digest?: string; env?: string[]; size?: number } = {}): void {
    this.remote.set(ref, makeImage(ref, opts));
  }

  /** Containers run (or started) from ref exit at once with exitCode ("exits"), or keep running ("runs", the default). */
  setImageBehaviour(ref: string, behaviour: ImageBehaviour, exitCode = 1): void {
    this.behaviours.set(ref, { behaviour, exitCode });
  }

  /** exec() in containers of image ref answers with this (default: code 0 while running). */
  setProbe(ref: string, behaviour: ProbeBehaviour): void {
    this.probes.set(ref, behaviour);
  }

  /** The next call of method throws err (queued: n calls to failNext fail the next n calls). */
  failNext(method: keyof ContainerRuntime, err: Error): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), err]);
  }

  /** The container exits on its own with exitCode. Fails not_found. */
  crash(name: string, exitCode: number): void {
    const c = this.mustFind(name);
    c.state = "exited";
    c.exitCode = exitCode;
    this.emit(c, "died");
  }

  /** A deep copy of every container and image. */
  dump(): FakeDump {
    const byName = (a: FakeContainer, b: FakeContainer) => a.spec.name.localeCompare(b.spec.name);
    const byRef = (a: FakeImage, b: FakeImage) => a.ref.localeCompare(b.ref);
    return structuredClone({
      containers: [...this.containers.values()].sort(byName).map((c) => ({ ...this.observe(c), spec: c.spec })),
      images: [...this.images.values()].sort(byRef),
      remoteImages: [...this.remote.values()].sort(byRef),
    });
  }

  /** The version given to the constructor. */
  async version(): Promise<string> {
    this.injected("version");
    return this.versionText;
  }

  /** Copies a remote image (addRemoteImage) locally; anything else fails failed_precondition, as podman does. */
  async pull(image: string, opts?: PullOptions): Promise<ImageInfo> {
    this.injected("pull");
    if (opts?.signal?.aborted) throw new McpError("aborted", `podman pull was cancelled`);
    const found = this.remote.get(image);
    if (!found) {
      throw new McpError("failed_precondition", `cannot pull ${image}: the image does not exist in the registry`, "check the image name and tag");
    }
    const local = { ...found, env: [...found.env] };
    this.images.set(image, local);
    this.imagesById.set(local.id, local);
    return { id: local.id, digest: local.digest };
  }

  /** A local image by reference or id, or null. */
  async getImage(image: string): Promise<ImageInfo | null> {
    this.injected("getImage");
    const img = this.findImage(image);
    return img ? { id: img.id, digest: img.digest } : null;
  }

  /** Every container carrying all the labels asked for. */
  async list(filter?: { labels?: Record<string, string> }): Promise<ObservedContainer[]> {
    this.injected("list");
    const wanted = Object.entries(filter?.labels ?? {});
    return [...this.containers.values()]
      .filter((c) => wanted.every(([k, v]) => c.spec.labels[k] === v))
      .map((c) => this.observe(c));
  }

  /** Details from the stored spec; env is the image env overlaid by the spec env. Null when there is none. */
  async inspect(nameOrId: string): Promise<ContainerDetails | null> {
    this.injected("inspect");
    const c = this.find(nameOrId);
    if (!c) return null;
    const imageEnv = [...(this.imagesById.get(c.imageId)?.env ?? [])];
    const { spec } = c;
    return {
      ...this.observe(c), network: spec.network, user: spec.user, restart: spec.restart,
      ports: [...spec.ports], volumes: [...spec.volumes], cmd: [...spec.cmd],
      env: mergeEnv(imageEnv, spec.env), imageEnv, health: "", settings: settingsOfSpec(spec),
    };
  }

  /** Secrets (SPEC §7.3) as podman 4.3 keeps them; `secretStore.valueOf` shows a value to tests. */
  readonly secretStore = new FakeSecrets();
  createSecret = async (name: string, value: Uint8Array, labels: Record<string, string>) => (this.injected("createSecret"), this.secretStore.create(name, value, labels));
  removeSecret = async (name: string) => (this.injected("removeSecret"), this.secretStore.remove(name));
  listSecrets = async () => (this.injected("listSecrets"), this.secretStore.list());

  /** Creates and starts (see setImageBehaviour); already_exists on a taken name, failed_precondition without the image. */
  async run(spec: ContainerSpec, opts?: { replace?: boolean; stopTimeoutSec?: number }): Promise<string> {
    this.injected("run");
    const old = opts?.replace ? this.containers.get(spec.name) : undefined;
    if (old && this.containers.delete(spec.name)) this.emit(old, "remove");
    if (this.containers.has(spec.name)) {
      throw new McpError("already_exists", `container ${spec.name} already exists`, "remove it first, or deploy under another name");
    }
    const img = this.findImage(spec.image);
    if (!img) throw new McpError("failed_precondition", `image ${spec.image} is not present on this node`, "pull it first");
    this.secretStore.assertPresent(spec.secrets);
    const c: FakeContainer = { id: randomHex(32), spec: structuredClone(spec), imageId: img.id, state: "created", startedAt: 0, exitCode: 0, log: [], logTimes: [] };
    this.containers.set(spec.name, c);
    this.emit(c, "create");
    this.begin(c);
    return c.id;
  }

  /** Starts a container that is not running (startedAt = now); not_found when missing. */
  async startMany(names: string[]): Promise<{ error: string }> {
    const errors = await Promise.all(names.map((n) => this.start(n).then(() => "", (err) => messageOf(err))));
    return { error: errors.filter(Boolean).join("; ") };
  }

  async start(name: string): Promise<void> {
    this.injected("start");
    const c = this.mustFind(name);
    if (c.state !== "running") this.begin(c);
  }

  /** Running → exited with code 0; anything else stays as it is. not_found when missing. */
  async stop(name: string, _timeoutSec: number): Promise<void> {
    this.injected("stop");
    const c = this.mustFind(name);
    if (c.state === "running" || c.state === "paused" || c.state === "stopping") {
      c.state = "exited";
      c.exitCode = 0;
      this.emit(c, "died");
      this.emit(c, "stop");
    }
  }

  /** Starts again whatever the state (startedAt = now); not_found when missing. */
  async restart(name: string, _timeoutSec: number): Promise<void> {
    this.injected("restart");
    this.begin(this.mustFind(name));
  }

  /** Deletes the container; false when there was none. */
  async remove(name: string, _timeoutSec?: number): Promise<boolean> {
    this.injected("remove");
    const c = this.find(name);
    if (!c) return false;
    this.containers.delete(c.spec.name);
    this.emit(c, "remove");
    return true;
  }

  /** Throws the error queued for method by failNext, if any. */
  private injected(method: keyof ContainerRuntime): void {
    const queue = this.failures.get(method);
    const err = queue?.shift();
    if (queue?.length === 0) this.failures.delete(method);
    if (err) throw err;
  }

  /** Starts c now: running, or exited at once when its image or command says so. */
  private begin(c: FakeContainer): void {
    c.startedAt = this.clock.now();
    const exits = this.behaviours.get(c.spec.image);
    const [sh, flag, script] = c.spec.cmd;
    const exitCmd = c.spec.cmd.length === 3 && sh === "sh" && flag === "-c" ? EXIT_CMD.exec(script ?? "") : null;
    c.state = "running";
    c.exitCode = 0;
    pushLog(c, `started ${c.spec.image}`, c.startedAt);
    // `sh -c "echo a; echo b; …"` writes its words to the log, like a real container would.
    if (sh === "sh" && flag === "-c") for (const m of (script ?? "").matchAll(/echo ([\w-]+)/g)) pushLog(c, m[1]!, c.startedAt);
    this.emit(c, "start");
    if (exitCmd) {
      c.state = "exited";
      c.exitCode = Number(exitCmd[1]);
      this.emit(c, "died");
    } else if (exits?.behaviour === "exits") {
      c.state = "exited";
      c.exitCode = exits.exitCode;
      this.emit(c, "died");
    }
  }

  /** Runs a probe: the image's ProbeBehaviour, or code 0 while running (125 when not, like podman). */
  async exec(name: string, cmd: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
    this.injected("exec");
    const c = this.mustFind(name);
    if (c.state !== "running") return { code: 125, output: `can only create exec sessions on running containers: container state improper` };
    const exitCmd = cmd.length === 3 && cmd[0] === "sh" && cmd[1] === "-c" ? EXIT_CMD.exec(cmd[2] ?? "") : null;
    if (exitCmd) return { code: Number(exitCmd[1]), output: "" };
    const b = this.probes.get(c.spec.image);
    if (b === "hang") throw new McpError("deadline_exceeded", `podman exec did not answer within ${Math.round(timeoutMs / 1000)}s`, "");
    return b ?? { code: 0, output: "" };
  }

  /** The container's last `tail` log lines. */
  execSession = (name: string, o: ExecSessionOptions): ExecSession => fakeExecSession(this.containers, name, o);

  async logs(name: string, tail: number): Promise<string> {
    this.injected("logs");
    return this.mustFind(name).log.slice(-tail).join("\n");
  }

  /** The log's last lines (since a time, each with its time); with follow, waits until the container stops or the signal aborts (_fake-logs.ts). */
  async streamLogs(name: string, o: { tail: number; follow: boolean; signal: AbortSignal; since?: number }, onLine: (line: string, time?: number) => void): Promise<void> {
    this.injected("streamLogs");
    const c = this.mustFind(name);
    await fakeStreamLogs(c, () => this.containers.get(c.spec.name) === c, o, onLine);
  }

  /** Streams this fake's container events until the signal aborts. */
  async watch(onEvent: (e: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
    this.injected("watch");
    if (signal.aborted) return;
    this.watchers.add(onEvent);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    this.watchers.delete(onEvent);
  }

  private emit(c: FakeContainer, status: string): void {
    if (status === "died") pushLog(c, `exited with code ${c.exitCode}`, this.clock.now());
    const e: RuntimeEvent = {
      name: c.spec.name, id: c.id, status, time: this.clock.now(), exitCode: status === "died" ? c.exitCode : null, image: c.spec.image,
    };
    for (const w of this.watchers) w(e);
  }

  /** A container by name, full id or unique id prefix (podman accepts all three). */
  private find(nameOrId: string): FakeContainer | undefined {
    const byName = this.containers.get(nameOrId);
    if (byName) return byName;
    if (nameOrId === "") return undefined;
    const byId = [...this.containers.values()].filter((c) => c.id.startsWith(nameOrId));
    return byId.length === 1 ? byId[0] : undefined;
  }

  private mustFind(name: string): FakeContainer {
    const c = this.find(name);
    if (!c) throw new McpError("not_found", `container ${name} not found`, "list containers with `mcp ps`");
    return c;
  }

  private readonly imageMaps = { images: this.images, imagesById: this.imagesById, containers: this.containers };
  /** A local image by reference, id or `repo@digest` (_fake-images.ts). */
  private findImage = (refOrId: string): FakeImage | undefined => findFakeImage(this.imageMaps, refOrId);
  /** Local images (port.ts; _fake-images.ts is the behaviour). */
  listImages = async () => (this.injected("listImages"), listFakeImages(this.imageMaps));
  removeImage = async (id: string) => (this.injected("removeImage"), removeFakeImage(this.imageMaps, id));

  private observe(c: FakeContainer): ObservedContainer {
    return {
      id: c.id,
      name: c.spec.name,
      image: c.spec.image,
      imageId: c.imageId,
      state: c.state,
      labels: { ...c.spec.labels },
      command: [...c.spec.cmd],
      startedAt: c.startedAt,
      exitCode: c.exitCode,
    };
  }
}
