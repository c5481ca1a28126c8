import { fromBinary, toBinary, type DescMethod } from "@bufbuild/protobuf";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { AgentService } from "../gen/mcp/v1/agent_pb.ts";

/** The fully qualified service name, e.g. `mcp.v1.AgentService`. */
export const SERVICE_NAME = AgentService.typeName;

/** Every RPC of the agent's service, by name, with its streaming shape. */
export function listRpcMethods(): { name: string; clientStreaming: boolean; serverStreaming: boolean }[] {
  return AgentService.methods.map((m) => ({
    name: m.name,
    clientStreaming: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
    serverStreaming: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
  }));
}

/** The generated method descriptor of an RPC. */
export function methodDesc(name: string): DescMethod {
  const m = AgentService.methods.find((x) => x.name === name);
  if (!m) throw new Error(`no RPC named ${name}`);
  return m;
}

/**
 * The grpc-js service definition built from the generated descriptor (binary
 * protobuf via @bufbuild/protobuf; nothing reads .proto files at run time).
 * Keys are method names (`Deploy`).
 */
export function grpcServiceDefinition(): ServiceDefinition {
  const def: Record<string, unknown> = {};
  for (const m of AgentService.methods) {
    def[m.name] = {
      path: `/${AgentService.typeName}/${m.name}`,
      originalName: m.localName,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      requestSerialize: (msg: never) => Buffer.from(toBinary(m.input, msg)),
      requestDeserialize: (buf: Buffer) => fromBinary(m.input, buf),
      responseSerialize: (msg: never) => Buffer.from(toBinary(m.output, msg)),
      responseDeserialize: (buf: Buffer) => fromBinary(m.output, buf),
    };
  }
  return def as ServiceDefinition;
}
