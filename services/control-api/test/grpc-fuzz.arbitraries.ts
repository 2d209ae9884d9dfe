import fc from 'fast-check';

/** A request field as the .proto declares it: its number, its proto name and its scalar kind. */
export interface ProtoField {
  no: number;
  name: string;
  kind: 'string' | 'bool' | 'uint32' | 'map';
  /** Values that get past the first checks, tried often. */
  real?: string[];
}

const WIRE = { varint: 0, bit64: 1, len: 2, startGroup: 3, endGroup: 4, bit32: 5 } as const;
const wireOf = (kind: ProtoField['kind']) => (kind === 'string' || kind === 'map' ? WIRE.len : WIRE.varint);

/** Base-128 varint of a non-negative integer (up to 2^53). */
export function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const tag = (no: number, wire: number) => Buffer.from(varint(no * 8 + wire));
const bytes = (...parts: Array<Buffer | number[]>) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
const lenDelimited = (no: number, payload: Buffer) => bytes(tag(no, WIRE.len), varint(payload.length), payload);

/** Text that reaches past the first checks (the field's real values) beside empty, odd and huge strings. */
export function text(real: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('', ...real) },
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom('*', '>', 'a.b', 'hello.>', ' hello ', 'HELLO', '..', '../../etc/passwd', 'x\u0000y', '\u202e', 'ÿ', '👍🏽', 'a b') },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '👍', 'a.'), fc.integer({ min: 1_000, max: 400_000 })).map(([s, n]) => s.repeat(n)) },
  );
}

/** A well-formed encoding of one request: every field either absent (proto3's default) or any value of its type. */
export function wellFormed(fields: ProtoField[]): fc.Arbitrary<Buffer> {
  const none = fc.constant(Buffer.alloc(0));
  const one = (f: ProtoField): fc.Arbitrary<Buffer> => {
    switch (f.kind) {
      case 'string':
        return text(f.real ?? []).map((s) => (s === '' ? Buffer.alloc(0) : lenDelimited(f.no, Buffer.from(s, 'utf8'))));
      case 'bool':
        return fc.oneof(
          none,
          fc.constantFrom(1, 2, 127, 2 ** 40).map((v) => bytes(tag(f.no, WIRE.varint), varint(v))),
        );
      case 'uint32':
        return fc.oneof(
          none,
          fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((v) => bytes(tag(f.no, WIRE.varint), varint(v))),
          // int64-sized and negative varints where a uint32 is expected.
          fc.constantFrom(2 ** 40, 2 ** 53).map((v) => bytes(tag(f.no, WIRE.varint), varint(v))),
          fc.constant(bytes(tag(f.no, WIRE.varint), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
        );
      case 'map':
        return fc
          .array(fc.tuple(text(['__proto__', 'constructor', 'NODE_OPTIONS']), fc.string({ maxLength: 20 })), { maxLength: 4 })
          .map((entries) => bytes(...entries.map(([k, v]) => lenDelimited(f.no, bytes(lenDelimited(1, Buffer.from(k)), lenDelimited(2, Buffer.from(v)))))));
    }
  };
  const real = (f: ProtoField): fc.Arbitrary<Buffer> =>
    f.kind === 'string' && f.real?.length
      ? fc.constantFrom(...f.real).map((s) => (s === '' ? Buffer.alloc(0) : lenDelimited(f.no, Buffer.from(s, 'utf8'))))
      : one(f);
  const anyField = fc.tuple(...fields.map(one)).map((parts) => bytes(...parts));
  if (!fields.length) return anyField;
  // Near-valid: real values everywhere but one field, to reach the checks behind the first ones.
  const oneOff = fc
    .integer({ min: 0, max: fields.length - 1 })
    .chain((odd) => fc.tuple(...fields.map((f, i) => (i === odd ? one(f) : real(f)))))
    .map((parts) => bytes(...parts));
  return fc.oneof(anyField, oneOff);
}

/** Bytes that are not a valid message of the type: garbage, cut short, wrong or impossible wire types, bad lengths. */
export function malformed(fields: ProtoField[]): fc.Arbitrary<Buffer> {
  const field = fc.constantFrom(...(fields.length ? fields : [{ no: 1, name: 'unknown', kind: 'string' } as const]));
  const broken: fc.Arbitrary<Buffer>[] = [
    fc.uint8Array({ minLength: 1, maxLength: 256 }).map((b) => Buffer.from(b)),
    // A known field with the wire type of another kind, its payload well-formed for that wire type.
    field.map((f) => (wireOf(f.kind) === WIRE.len ? bytes(tag(f.no, WIRE.varint), [42]) : lenDelimited(f.no, Buffer.from('hi')))),
    field.map((f) => bytes(tag(f.no, WIRE.bit32), [1, 2, 3, 4])),
    // Wire types 6 and 7 do not exist.
    fc.tuple(field, fc.constantFrom(6, 7)).map(([f, w]) => bytes(tag(f.no, w), [0])),
    // A group opened and never closed, or closed without being opened.
    field.map((f) => bytes(tag(f.no, WIRE.startGroup), tag(f.no + 1, WIRE.varint), [1])),
    field.map((f) => tag(f.no, WIRE.endGroup)),
    // A length past the end of the message.
    fc.tuple(field, fc.integer({ min: 2, max: 2 ** 31 })).map(([f, n]) => bytes(tag(f.no, WIRE.len), varint(n), [1])),
    // A varint that never ends, and field number 0.
    fc.constant(Buffer.alloc(11, 0xff)),
    fc.constant(bytes(tag(0, WIRE.varint), [1])),
    // Invalid UTF-8 in a string field (a lone surrogate, a stray continuation byte, an overlong NUL).
    fc.tuple(field, fc.constantFrom<number[]>([0xff], [0xed, 0xa0, 0x80], [0x80], [0xc0, 0x80], [0xc3])).map(([f, b]) => lenDelimited(f.no, Buffer.from(b))),
  ];
  // A well-formed message cut short inside a field.
  if (fields.length)
    broken.push(
      wellFormed(fields)
        .filter((b) => b.length > 1)
        .chain((b) => fc.integer({ min: 1, max: b.length - 1 }).map((n) => b.subarray(0, n))),
    );
  return fc.tuple(wellFormed(fields), fc.oneof(...broken)).map(([prefix, b]) => bytes(prefix, b));
}

/** Any request bytes: well-formed (random and missing fields, huge and odd strings) or malformed. */
export function requestBytes(fields: ProtoField[]): fc.Arbitrary<Buffer> {
  return fc.oneof({ weight: 3, arbitrary: wellFormed(fields) }, { weight: 2, arbitrary: malformed(fields) });
}
