import { join } from 'node:path';

/** The .proto sources (the repository's proto/), for what needs them at run time: gRPC server reflection. */
export const PROTO_DIR = join(__dirname, '..', '..', '..', '..', 'proto');

/** The gRPC API's .proto files, relative to PROTO_DIR. */
export const API_PROTO_FILES = ['orzo/api/v1/control.proto'];
