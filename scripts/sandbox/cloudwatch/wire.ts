/**
 * CloudWatch's wire formats, as the SDK speaks them.
 *
 * The installed `@aws-sdk/client-cloudwatch` (3.1164.0) speaks AWS JSON 1.0 with the `awsQueryCompatible`
 * trait: its runtime config sets `protocol: AwsJson1_0Protocol` with `serviceTarget:
 * "GraniteServiceVersion20100801"` and `awsQueryCompatible: true` (dist-cjs/index.js, getRuntimeConfig), so
 * every request is a `POST /` with `Content-Type: application/x-amz-json-1.0`,
 * `X-Amz-Target: GraniteServiceVersion20100801.<Operation>` and `x-amzn-query-mode: true`
 * (`AwsJsonRpcProtocol.serializeRequest` in @aws-sdk/core), timestamps as epoch seconds (the JSON codec's
 * default timestamp format 7). CloudWatch moved there from awsQuery in 2025 ("Amazon CloudWatch is migrating
 * from the AWS Query protocol to ... AWS JSON 1.0 and Smithy RPC v2 CBOR": the AWS SDKs team in
 * localstack/localstack#13028); the model offers both, and a client can be built with
 * `protocol: AwsSmithyRpcV2CborProtocol` (`POST /service/GraniteServiceVersion20100801/operation/<Operation>`,
 * `smithy-protocol: rpc-v2-cbor`, CBOR bodies, timestamps as tag 1), so the sandbox answers that too, encoded
 * with the SDK's own codec (`cbor` of `@smithy/core/cbor`).
 *
 * Errors of a query-compatible service carry the query-era code in an `x-amzn-query-error: <Code>;<Sender|Receiver>`
 * header, which the SDK prefers to the body (`loadJsonRpcErrorCode(..., queryCompat)` reads `code` first, set from
 * that header by `ProtocolLib.setQueryCompatError`), and the shape's id in `__type`
 * (`com.amazonaws.cloudwatch#ResourceNotFound`, as the JSON services that migrated answer: the SQS captures in
 * aws-sdk-cpp's SQSUnitTest, `{"__type": "com.amazonaws.sqs#QueueDoesNotExist", ...}` with
 * `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender`). The codes, statuses and message member
 * names are the SDK model's (`awsQueryError` traits in dist-es/schemas/schemas_0.js).
 */
import { gunzipSync } from 'node:zlib';
import { cbor, dateToTag } from '@smithy/core/cbor';
import { type SandboxRequest, type SandboxResponse, ServiceError } from '../protocol.js';

export const SERVICE_TARGET = 'GraniteServiceVersion20100801';
const SHAPE_NAMESPACE = 'com.amazonaws.cloudwatch';
const CBOR_PATH = new RegExp(`^/service/${SERVICE_TARGET}/operation/([A-Za-z0-9]+)$`);
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const CBOR_CONTENT_TYPE = 'application/cbor';

interface ErrorSpec {
  /** The `awsQueryError` code (what `x-amzn-query-error` and the SDK's `Error.Code` carry). */
  query: string;
  status: number;
  fault: 'Sender' | 'Receiver';
  /** The member the model gives the message: `message` on most, `Message` on a few. */
  member: 'message' | 'Message';
  /** A shape of the model (namespaced `__type`), or a code the service sends without one. */
  modeled: boolean;
}

/** The error shapes CloudWatch's alarm and metric operations answer with (SDK model, schemas_0.js). */
const ERRORS: Record<string, ErrorSpec> = {
  ResourceNotFound: { query: 'ResourceNotFound', status: 404, fault: 'Sender', member: 'message', modeled: true },
  InvalidNextToken: { query: 'InvalidNextToken', status: 400, fault: 'Sender', member: 'message', modeled: true },
  InvalidFormatFault: { query: 'InvalidFormat', status: 400, fault: 'Sender', member: 'message', modeled: true },
  InvalidParameterValueException: { query: 'InvalidParameterValue', status: 400, fault: 'Sender', member: 'message', modeled: true },
  InvalidParameterCombinationException: { query: 'InvalidParameterCombination', status: 400, fault: 'Sender', member: 'message', modeled: true },
  MissingRequiredParameterException: { query: 'MissingParameter', status: 400, fault: 'Sender', member: 'message', modeled: true },
  LimitExceededFault: { query: 'LimitExceeded', status: 400, fault: 'Sender', member: 'message', modeled: true },
  ResourceConflict: { query: 'ResourceConflict', status: 409, fault: 'Sender', member: 'message', modeled: true },
  ValidationException: { query: 'ValidationError', status: 400, fault: 'Sender', member: 'message', modeled: true },
  InternalServiceFault: { query: 'InternalServiceError', status: 500, fault: 'Receiver', member: 'Message', modeled: true },
  // Not in the model: the query-era throttling code, which the SDK's retry strategy knows as a throttle
  // ("Throttling", HTTP 400, "Rate exceeded").
  Throttling: { query: 'Throttling', status: 400, fault: 'Sender', member: 'message', modeled: false },
  // IAM's denial, query code `AccessDenied` (as captured from DeleteAlarms in
  // aws-samples/amazon-cloudwatch-auto-alarms#18: "An error occurred (AccessDenied) ... is not authorized to
  // perform: cloudwatch:DeleteAlarms on resource: arn:aws:cloudwatch:...:alarm:...").
  AccessDenied: { query: 'AccessDenied', status: 403, fault: 'Sender', member: 'message', modeled: false },
  UnknownOperationException: { query: 'InvalidAction', status: 400, fault: 'Sender', member: 'message', modeled: false },
  SerializationException: { query: 'MalformedInput', status: 400, fault: 'Sender', member: 'message', modeled: false },
};

/** A CloudWatch error by its shape name, with the model's status. */
export function cwError(shape: keyof typeof ERRORS, message: string): ServiceError {
  return new ServiceError(ERRORS[shape]?.status ?? 400, shape, message);
}

export type Wire = 'json' | 'cbor';

export function wireOf(request: SandboxRequest): Wire | undefined {
  if (request.method !== 'POST') return undefined;
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith(`${SERVICE_TARGET}.`)) return 'json';
  if (CBOR_PATH.test(request.path) && request.headers['smithy-protocol'] === 'rpc-v2-cbor') return 'cbor';
  return undefined;
}

export function operationOf(request: SandboxRequest): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith(`${SERVICE_TARGET}.`)) return target.slice(SERVICE_TARGET.length + 1);
  return CBOR_PATH.exec(request.path)?.[1] ?? '?';
}

/**
 * The request body as plain data: JSON or CBOR, gunzipped when the SDK compressed it (PutMetricData carries
 * the `requestCompression` trait: the SDK gzips a body of 10 KiB or more, `@smithy/middleware-compression`),
 * with CBOR timestamps (tag 1) turned into the epoch seconds JSON carries.
 */
export function decodeBody(request: SandboxRequest, wire: Wire): Record<string, unknown> {
  let body = request.body;
  if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  if (body.length === 0) return {};
  try {
    const value = wire === 'json' ? JSON.parse(body.toString('utf8')) : untag(cbor.deserialize(new Uint8Array(body)));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw cwError('SerializationException', wire === 'json' ? 'Could not parse request body into json' : 'Could not parse request body as CBOR');
  }
}

function untag(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untag);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const record = value as Record<string, unknown>;
  if (record.tag === 1 && typeof record.value === 'number' && Object.keys(record).length === 2) return record.value;
  return Object.fromEntries(Object.entries(record).map(([key, member]) => [key, untag(member)]));
}

/** A success answer; `Date`s in the output become epoch seconds (JSON) or tag-1 timestamps (CBOR). */
export function ok(wire: Wire, output: Record<string, unknown> = {}): SandboxResponse {
  if (wire === 'json') {
    return { status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify(mapDates(output, (date) => date.getTime() / 1000)) };
  }
  return {
    status: 200,
    headers: { 'content-type': CBOR_CONTENT_TYPE, 'smithy-protocol': 'rpc-v2-cbor' },
    body: Buffer.from(cbor.serialize(mapDates(output, dateToTag))),
  };
}

function mapDates(value: unknown, convert: (date: Date) => unknown): unknown {
  if (value instanceof Date) return convert(value);
  if (Array.isArray(value)) return value.map((item) => mapDates(item, convert));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = mapDates(member, convert);
  return out;
}

/** An error in the request's wire format, with the query-compatible header. */
export function errorResponse(error: ServiceError, request: SandboxRequest): SandboxResponse {
  const spec = ERRORS[error.code];
  const type = spec?.modeled === true ? `${SHAPE_NAMESPACE}#${error.code}` : error.code;
  const body = { __type: type, [spec?.member ?? 'message']: error.message, ...error.fields };
  const headers: Record<string, string> = { ...error.headers };
  if (spec !== undefined) headers['x-amzn-query-error'] = `${spec.query};${spec.fault}`;
  if ((wireOf(request) ?? 'json') === 'json') {
    return { status: error.status, headers: { 'content-type': JSON_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
  }
  return {
    status: error.status,
    headers: { 'content-type': CBOR_CONTENT_TYPE, 'smithy-protocol': 'rpc-v2-cbor', ...headers },
    body: Buffer.from(cbor.serialize(body)),
  };
}
