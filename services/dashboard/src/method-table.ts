import { loadSync } from '@grpc/proto-loader';
import { API_PROTO_FILES, PROTO_DIR, api } from '@orzo/contracts';

/** The ts-proto JSON functions of one message type. */
interface JsonCodec {
  fromJSON(object: unknown): unknown;
  toJSON(message: unknown): unknown;
}

/** One method of control-api's gRPC API, as the gateway calls it. */
export interface GatewayMethod {
  /** As in the proto: GetStatus, WhoAmI. */
  name: string;
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  /** Request JSON (ts-proto's proto3 JSON) to the message. */
  requestFromJson(json: unknown): unknown;
  /** A response message to JSON. */
  responseToJson(message: unknown): unknown;
  serialize(message: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

interface GeneratedMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: never): Buffer;
  responseDeserialize(value: Buffer): unknown;
}

interface DescribedMethod {
  requestType: { type: { name: string } };
  responseType: { type: { name: string } };
}

/**
 * Every method of the generated ControlApiService definition, by its proto name. The proto
 * (read at start) names each method's message types; the generated code supplies their JSON
 * functions. A method added to the proto and regenerated is served without a change here.
 */
export function buildMethodTable(): Map<string, GatewayMethod> {
  const generated = Object.values(api.ControlApiService) as GeneratedMethod[];
  const first = generated[0];
  if (!first) throw new Error('the generated ControlApiService has no methods');
  const serviceName = first.path.split('/')[1]!;
  const described = loadSync(API_PROTO_FILES, { includeDirs: [PROTO_DIR] })[serviceName] as unknown as Record<string, DescribedMethod> | undefined;
  if (!described) throw new Error(`${serviceName} is not in ${API_PROTO_FILES.join(', ')}: the generated contracts and the proto disagree`);
  const codecs = api as unknown as Record<string, Partial<JsonCodec> | undefined>;
  const codec = (type: string, method: string): JsonCodec => {
    const found = codecs[type];
    if (typeof found?.fromJSON !== 'function' || typeof found.toJSON !== 'function')
      throw new Error(`message ${type} of ${method} is not in the generated contracts: run npm run gen`);
    return found as JsonCodec;
  };
  const table = new Map<string, GatewayMethod>();
  for (const m of generated) {
    const name = m.path.slice(m.path.lastIndexOf('/') + 1);
    const types = described[name];
    if (!types) throw new Error(`method ${name} of the generated contracts is not in the proto: run npm run gen`);
    const request = codec(types.requestType.type.name, name);
    const response = codec(types.responseType.type.name, name);
    table.set(name, {
      name,
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestFromJson: (json) => request.fromJSON(json),
      responseToJson: (message) => response.toJSON(message),
      serialize: (message) => m.requestSerialize(message as never),
      deserialize: (bytes) => m.responseDeserialize(bytes),
    });
  }
  return table;
}
