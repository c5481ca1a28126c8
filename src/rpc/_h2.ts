import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import http2 from "node:http2";
import { McpError } from "../lib/errors.ts";
import { writeWithBackpressure } from "./_streams.ts";
import { methodDesc, SERVICE_NAME } from "./service.ts";
import { closedWithoutAnswer, fromConnectError, fromStatus, GRPC, HINT_KEY, timedOut } from "./status.ts";

/**
 * A minimal gRPC client over node:http2, for the CLI: unary, server-streaming
 * and client-streaming calls (a request may be an async iterable of messages, sent with backpressure), length-prefixed protobuf, status from trailers (or
 * trailers-only headers), deadlines, cancellation. It exists because loading
 * grpc-js cost ~25 ms of every CLI command (mcp ps: ~100 ms in all); the
 * agent still serves with grpc-js.
 */
export interface H2Options {
  /** The node's name, for messages. */
  node: string;
  /** host:port (an IP address is fine) */
  address: string;
  caPem: string;
  /** The DNS name to verify in the agent's certificate. */
  serverName: string;
  token: string;
  /** Optional client certificate (mutual TLS). */
  certPem?: string;
  keyPem?: string;
}

export interface H2Transport {
  /**
   * Sends one request (or, for a client-streaming method, every message of an
   * async iterable) and streams the responses to onMessage; resolves on
   * status OK or when `signal` aborts.
   */
  call<Res extends DescMessage>(
    name: string,
    req: MessageShape<DescMessage> | AsyncIterable<MessageShape<DescMessage>>,
    timeoutMs: number,
    onMessage: (m: MessageShape<Res>) => unknown,
    signal?: AbortSignal,
    /** Paced: when onMessage returns a promise, nothing more is read until it settles (a slow reader holds the sender back). */
    paced?: boolean,
  ): Promise<void>;
  close(): void;
}

/** HTTP/2 flow-control window (stream and connection) and the largest frame we accept. */
const WINDOW = 16 << 20;
const MAX_FRAME = (1 << 24) - 1;

function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

export function createH2Transport(o: H2Options): H2Transport {
  let session: http2.ClientHttp2Session | null = null;
  let connectError: McpError | null = null;
  let connected = false;

  function open(): http2.ClientHttp2Session {
    if (session && !session.closed && !session.destroyed) return session;
    connectError = null;
    connected = false;
    // Dial the address (an IP is fine) and verify the node's name in the certificate.
    const s = http2.connect(`https://${o.address}`, {
      ca: o.caPem,
      servername: o.serverName,
      ALPNProtocols: ["h2"],
      minVersion: "TLSv1.3",
      // Big windows and frames: a pull of a big file is not held back by flow control or per-frame work.
      settings: { initialWindowSize: WINDOW, maxFrameSize: MAX_FRAME },
      ...(o.certPem && o.keyPem ? { cert: o.certPem, key: o.keyPem } : {}),
    } as http2.SecureClientSessionOptions);
    s.on("connect", () => {
      connected = true;
      s.setLocalWindowSize(WINDOW);
    });
    s.on("error", (err) => (connectError = fromConnectError(err as Error & { code?: string }, o.node)));
    session = s;
    return s;
  }

  return {
    call(name, req, timeoutMs, onMessage, signal, paced = false) {
      const m = methodDesc(name);
      return new Promise<void>((resolve, reject) => {
        const s = open();
        const headers: http2.OutgoingHttpHeaders = {
          ":method": "POST",
          ":path": `/${SERVICE_NAME}/${name}`,
          ":authority": o.serverName,
          "content-type": "application/grpc+proto",
          te: "trailers",
          authorization: `Bearer ${o.token}`,
        };
        if (timeoutMs !== Infinity) headers["grpc-timeout"] = `${Math.max(1, Math.ceil(timeoutMs))}m`;
        const stream = s.request(headers);
        // Received bytes not yet read as messages: chunks joined once per message, not once per chunk.
        let chunks: Buffer[] = [];
        let have = 0;
        let status: number | null = null;
        let details = "";
        let hint = "";
        let settled = false;
        const settle = (err: McpError | null) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (err) reject(err);
          else resolve();
        };
        const readStatus = (h: http2.IncomingHttpHeaders) => {
          const code = h["grpc-status"];
          if (code === undefined) return;
          status = Number(code);
          details = decodeURIComponent(String(h["grpc-message"] ?? ""));
          const rawHint = h[HINT_KEY];
          hint = rawHint ? decodeURIComponent(String(rawHint)) : "";
        };
        const onAbort = () => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          settle(null);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        const timer = timeoutMs === Infinity ? undefined : setTimeout(() => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          settle(timedOut(o.node, name, timeoutMs, connected, connectError));
        }, timeoutMs);

        stream.on("response", readStatus);
        stream.on("trailers", readStatus);
        // Paced calls: a message whose onMessage has not settled yet holds the rest (and the status) back.
        let waiting = false;
        let closed = false;
        const fail = (err: unknown) => {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          settle(err instanceof McpError ? err : new McpError("internal", `node ${o.node}: a response could not be read: ${(err as Error).message}`));
        };
        const parse = () => {
          while (!waiting && have >= 5) {
            if (chunks[0]!.length < 5) chunks = [Buffer.concat(chunks, have)];
            const len = chunks[0]!.readUInt32BE(1);
            if (have < 5 + len) break;
            const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have);
            let r: unknown;
            try {
              r = onMessage(fromBinary(m.output, all.subarray(5, 5 + len)) as never);
            } catch (err) {
              return fail(err);
            }
            const rest = all.subarray(5 + len);
            chunks = rest.length > 0 ? [rest] : [];
            have = rest.length;
            if (paced && r instanceof Promise) {
              waiting = true;
              stream.pause();
              r.then(() => {
                waiting = false;
                stream.resume();
                parse();
              }, fail);
            }
          }
          if (!waiting && closed) ended();
        };
        const ended = () => {
          if (settled) return;
          // A bidi call's answer may end while its request side is still open: close that too.
          if (!stream.closed) stream.close();
          if (status === null) settle(connectError ?? closedWithoutAnswer(o.node));
          else if (status === GRPC.OK) settle(null);
          else settle(fromStatus(status, details, hint, o.node));
        };
        stream.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          have += chunk.length;
          parse();
        });
        stream.on("error", (err) => settle(connectError ?? fromConnectError(err as Error & { code?: string }, o.node)));
        // The answer's end ('end': trailers read, even while the request side is still open) or the stream's.
        const onEnd = () => {
          closed = true;
          if (!waiting) ended();
        };
        stream.on("end", onEnd);
        stream.on("close", onEnd);
        if (Symbol.asyncIterator in req) {
          // Client streaming: each message framed and written, waiting for the window when the stream says so.
          (async () => {
            for await (const msg of req as AsyncIterable<MessageShape<DescMessage>>) {
              if (settled) return;
              // The 5-byte prefix and the message as two writes: no copy of a big message into a frame buffer.
              const body = toBinary(m.input, msg);
              const prefix = Buffer.allocUnsafe(5);
              prefix.writeUInt8(0, 0);
              prefix.writeUInt32BE(body.length, 1);
              stream.write(prefix);
              await writeWithBackpressure(stream, body);
            }
            if (!settled) stream.end();
          })().catch((err) => {
            stream.close(http2.constants.NGHTTP2_CANCEL);
            settle(err instanceof McpError ? err : new McpError("internal", `node ${o.node}: sending ${name} failed: ${(err as Error).message}`));
          });
        } else {
          stream.end(frame(toBinary(m.input, req as MessageShape<DescMessage>)));
        }
      });
    },
    close() {
      session?.close();
    },
  };
}
