import { STATUS_CODES } from 'node:http';
import type { ZdxStatusClass, ZdxStatusInfo } from '../types.js';

/*
 * Which codes are retryable, i.e. the same request sent again later can succeed:
 * - 408: the server gave up waiting for the request body; a fresh attempt can arrive in time.
 * - 429: rate limit or device threshold; the window resets (Retry-After / RateLimit-Reset say when).
 * - 500, 502, 503, 504: transient server or gateway failures. The ZDX SDKs retry 5xx (the Go SDK through
 *   retryablehttp's default policy, the Python SDK at least 503/504), so callers already treat them as passing.
 * - 501 is not: "the HTTP method is not supported" is a property of the endpoint and will not change.
 * - Every other 4xx says the request itself is wrong (syntax, credentials, permissions, missing resource);
 *   it fails again unchanged. A 401 can succeed after a token refresh, but that is a different request.
 */

type ZdxRow = Omit<ZdxStatusInfo, 'documented'>;

// ZDX's "Understanding Error Codes" table (https://help.zscaler.com/zdx/understanding-error-codes), in table
// order and in ZDX's words. The only edit is the mojibake in 408 ("serverâ€™s" on the page is "server’s").
const ZDX_ROWS: readonly ZdxRow[] = [
  { code: 200, statusClass: '2xx', retryable: false, text: 'OK', description: 'The request was successful.' },
  {
    code: 201,
    statusClass: '2xx',
    retryable: false,
    text: 'Created',
    description: 'The request was successful and a new resource has been created.',
  },
  {
    code: 202,
    statusClass: '2xx',
    retryable: false,
    text: 'Accepted',
    description: 'The request has been received, but is not completed yet.',
  },
  {
    code: 203,
    statusClass: '2xx',
    retryable: false,
    text: 'Non-authoritative Information',
    description:
      'The returned information in the entity-header is not authorized, but is from a local or a third-party copy. ' +
      'The authorization set may be a subset or superset of the original version.',
  },
  { code: 204, statusClass: '2xx', retryable: false, text: 'No Content', description: 'Content is not available.' },
  {
    code: 400,
    statusClass: '4xx',
    retryable: false,
    text: 'Bad Request',
    description:
      'The request could not be completed due to incorrect syntax. Repeat the request with modifications to the syntax.',
  },
  {
    code: 401,
    statusClass: '4xx',
    retryable: false,
    text: 'Unauthorized',
    description: 'The session is not authenticated or the token duration has expired.',
  },
  {
    code: 402,
    statusClass: '4xx',
    retryable: false,
    text: 'Payment Required (Experimental)',
    description: 'Reserved for future use. It is aimed for use in digital payment systems.',
  },
  {
    code: 403,
    statusClass: '4xx',
    retryable: false,
    text: 'Forbidden',
    description:
      'One of the following permission errors occurred:\n' +
      'The API key was disabled by your service provider.\n' +
      "User's role has no access permissions or functional scope.\n" +
      'A required SKU subscription is missing.\n' +
      'Contact Zscaler Support or your Zscaler Account team for assistance.',
  },
  {
    code: 404,
    statusClass: '4xx',
    retryable: false,
    text: 'Not Found',
    description: 'The server cannot find the requested resource.',
  },
  {
    code: 405,
    statusClass: '4xx',
    retryable: false,
    text: 'Method Not Allowed',
    description:
      'The request HTTP method is known by the server, but has been disabled and cannot be used for that resource.',
  },
  {
    code: 406,
    statusClass: '4xx',
    retryable: false,
    text: 'Not Acceptable',
    description: 'The content does not meet the given criteria in the Accept header of the sent request.',
  },
  {
    code: 407,
    statusClass: '4xx',
    retryable: false,
    text: 'Proxy Authentication Required',
    description: 'The client must first authenticate with the proxy.',
  },
  {
    code: 408,
    statusClass: '4xx',
    retryable: true,
    text: 'Request Timeout',
    description:
      'The server did not receive a complete request from the user within the server’s allotted timeout period.',
  },
  {
    code: 409,
    statusClass: '4xx',
    retryable: false,
    text: 'Conflict',
    description: 'The request could not be completed due to a conflict with the current state of the resource.',
  },
  {
    code: 410,
    statusClass: '4xx',
    retryable: false,
    text: 'Gone',
    description: 'The requested resource is no longer available on the server.',
  },
  {
    code: 411,
    statusClass: '4xx',
    retryable: false,
    text: 'Length Required',
    description:
      'The server refuses to accept the request without a defined Content- Length. ' +
      'Repeat the request by adding a valid Content-Length header field.',
  },
  {
    code: 412,
    statusClass: '4xx',
    retryable: false,
    text: 'Precondition Failed',
    description: 'The user has indicated preconditions in its headers that the server does not accept.',
  },
  {
    code: 413,
    statusClass: '4xx',
    retryable: false,
    text: 'Request Entity Too Large',
    description: 'The request entity is larger than the limits defined by the server.',
  },
  {
    code: 414,
    statusClass: '4xx',
    retryable: false,
    text: 'Request-URI Too Long',
    description: 'The URI requested by the client is longer than the server can interpret.',
  },
  {
    code: 415,
    statusClass: '4xx',
    retryable: false,
    text: 'Unsupported Media Type',
    description: 'The media type in Content-type of the request is not supported by the server.',
  },
  {
    code: 416,
    statusClass: '4xx',
    retryable: false,
    text: 'Requested Range Not Satisfiable',
    description: 'The range specified by the Range header field in the request cannot be fulfilled.',
  },
  {
    code: 417,
    statusClass: '4xx',
    retryable: false,
    text: 'Expectation Failed',
    description: 'The expectation indicated by the Expect request header field cannot be met by the server.',
  },
  {
    code: 429,
    statusClass: '4xx',
    retryable: true,
    text: 'Too Many Requests',
    description:
      'The user has sent too many requests in a given amount of time and exceeded the rate limit or device threshold. ' +
      'To learn more, see Understanding Rate Limiting.',
  },
  {
    code: 431,
    statusClass: '4xx',
    retryable: false,
    text: 'Request Header Fields Too Large',
    description: 'The server is unable to process the request because the header fields are too large.',
  },
  {
    code: 500,
    statusClass: '5xx',
    retryable: true,
    text: 'Internal Server Error',
    description: 'The server encountered an unexpected condition which prevented the fulfillment of the request.',
  },
  {
    code: 501,
    statusClass: '5xx',
    retryable: false,
    text: 'Not Implemented',
    description: 'The HTTP method is not supported by the server and cannot be handled.',
  },
  {
    code: 502,
    statusClass: '5xx',
    retryable: true,
    text: 'Bad Gateway',
    description: 'The server received an invalid response while working as a gateway to handle the request.',
  },
  {
    code: 503,
    statusClass: '5xx',
    retryable: true,
    text: 'Service Unavailable',
    description: 'The server is not ready to handle the request.',
  },
  {
    code: 504,
    statusClass: '5xx',
    retryable: true,
    text: 'Gateway Timeout',
    description: 'The server is acting as a gateway and cannot get a response in time for a request.',
  },
];

/** The codes of ZDX's "Understanding Error Codes" table, in table order, frozen. */
export const ZDX_STATUS_CODES: readonly ZdxStatusInfo[] = Object.freeze(
  ZDX_ROWS.map((row): ZdxStatusInfo => Object.freeze({ ...row, documented: true })),
);

const MIN_CODE = 100;
const MAX_CODE = 599;

// One frozen object per code 100..599 (index code - 100), so classifyStatus never allocates for a real response.
const BY_CODE: readonly ZdxStatusInfo[] = buildByCode();

function buildByCode(): ZdxStatusInfo[] {
  const documented = new Map(ZDX_STATUS_CODES.map((info) => [info.code, info]));
  const table: ZdxStatusInfo[] = [];
  for (let code = MIN_CODE; code <= MAX_CODE; code++) {
    table.push(
      documented.get(code) ??
        Object.freeze({
          code,
          statusClass: `${Math.floor(code / 100)}xx` as ZdxStatusClass,
          text: STATUS_CODES[code] ?? 'Unknown Status',
          description: `HTTP ${code} is not documented by ZDX; the class follows its range.`,
          retryable: false,
          documented: false,
        }),
    );
  }
  return table;
}

/*
 * No response at all (DNS, connect, TLS, reset, timeout, abort) is not marked retryable: the client cannot
 * tell whether ZDX already acted on the request (deep traces and snapshots are POSTs), and several of these
 * causes (bad host, bad certificate, caller abort) do not go away on their own. Retrying is the caller's call.
 */
const NO_RESPONSE: ZdxStatusInfo = Object.freeze({
  code: undefined,
  statusClass: 'error',
  text: 'No Response',
  description: 'The request failed before a response arrived.',
  retryable: false,
  documented: false,
});

const INVALID_TEXT = 'Invalid Status';
const INVALID_DESCRIPTION = `The status code is not a valid HTTP status code (${MIN_CODE}-${MAX_CODE}).`;

/**
 * What ZDX (or HTTP, for codes ZDX does not list) says about a response status code.
 * `undefined`/`null` mean no response came (class `error`). Codes outside 100..599, non-integers and
 * non-numbers give class `unknown`; never throws. Returns a shared frozen object for every code 100..599 and
 * for no response; only the rare `unknown` path allocates, so that it can carry the offending code.
 */
export function classifyStatus(code: number | undefined | null): ZdxStatusInfo {
  if (code === undefined || code === null) return NO_RESPONSE;
  if (Number.isInteger(code) && code >= MIN_CODE && code <= MAX_CODE) {
    const info = BY_CODE[code - MIN_CODE];
    if (info !== undefined) return info;
  }
  return Object.freeze({
    code: Number.isFinite(code) ? code : undefined,
    statusClass: 'unknown',
    text: INVALID_TEXT,
    description: INVALID_DESCRIPTION,
    retryable: false,
    documented: false,
  });
}

function buildMessage(info: ZdxStatusInfo): string {
  const newline = info.description.indexOf('\n');
  const firstLine = newline === -1 ? info.description : info.description.slice(0, newline);
  return info.code === undefined ? `${info.text}: ${firstLine}` : `${info.code} ${info.text}: ${firstLine}`;
}

// Span status messages for the shared objects, so the span processor does not build strings per span.
const MESSAGES: readonly string[] = BY_CODE.map(buildMessage);
const NO_RESPONSE_MESSAGE = buildMessage(NO_RESPONSE);

/**
 * The span status message for a status: `"<code> <text>: <first line of the description>"`
 * (e.g. `"429 Too Many Requests: The user has sent too many requests …"`), or `"<text>: …"` without a code.
 */
export function statusMessage(info: ZdxStatusInfo): string {
  if (info === NO_RESPONSE) return NO_RESPONSE_MESSAGE;
  if (info.code !== undefined && BY_CODE[info.code - MIN_CODE] === info) {
    const message = MESSAGES[info.code - MIN_CODE];
    if (message !== undefined) return message;
  }
  return buildMessage(info);
}
