import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyStatus, statusMessage, ZDX_STATUS_CODES } from '../../src/core/catalog/status.js';

interface FixtureRow {
  code: number;
  text: string;
  description: string;
}

/** Parses the table of the ZDX help page; a row may span lines (403), which are joined with "\n". */
function parseFixture(markdown: string): FixtureRow[] {
  const rows: string[] = [];
  let open: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (open === undefined && /^\| \d{3} \|/.test(line)) open = [];
    if (open === undefined) continue;
    open.push(line);
    if (line.endsWith(' |')) {
      rows.push(open.join('\n'));
      open = undefined;
    }
  }
  expect(open, 'unterminated table row').toBeUndefined();
  return rows.map((row) => {
    const match = /^\| (\d{3}) \| ([^|]+?) \| ([^|]+?) \|$/s.exec(row);
    if (!match) throw new Error(`unparseable row: ${row}`);
    return { code: Number(match[1]), text: match[2] ?? '', description: match[3] ?? '' };
  });
}

const fixture = readFileSync(new URL('../fixtures/zdx-understanding-error-codes.md', import.meta.url), 'utf8');
const rows = parseFixture(fixture);
const RETRYABLE = [408, 429, 500, 502, 503, 504];

describe('fixture', () => {
  it('is the ZDX page, with its source URL and every table row', () => {
    expect(fixture).toContain('Source: https://help.zscaler.com/zdx/understanding-error-codes\n');
    const codeLines = fixture.split('\n').filter((line) => /^\| \d{3} \|/.test(line));
    expect(rows.map((r) => r.code)).toEqual(codeLines.map((line) => Number(line.slice(2, 5))));
    expect(rows).toHaveLength(30);
  });
});

describe('ZDX_STATUS_CODES', () => {
  it('has exactly the rows of the ZDX table, in table order', () => {
    expect(ZDX_STATUS_CODES.map((info) => info.code)).toEqual(rows.map((row) => row.code));
    expect(new Set(ZDX_STATUS_CODES.map((info) => info.code)).size).toBe(ZDX_STATUS_CODES.length);
  });

  it.each(rows)('$code matches the ZDX text and description', (row) => {
    const info = ZDX_STATUS_CODES.find((entry) => entry.code === row.code);
    expect(info?.text).toBe(row.text);
    const expected = row.code === 408 ? row.description.replace('serverâ€™s', 'server’s') : row.description;
    expect(info?.description).toBe(expected);
    expect(info?.documented).toBe(true);
    expect(classifyStatus(row.code)).toBe(info);
  });

  it('fixes only the 408 mojibake, and the fixture still carries it', () => {
    const row408 = rows.find((row) => row.code === 408);
    expect(row408?.description).toContain('serverâ€™s');
    const info = classifyStatus(408);
    expect(info.description).toContain('server’s');
    expect(info.description).not.toMatch(/â|€|™/);
    const changed = ZDX_STATUS_CODES.filter((info) => {
      const row = rows.find((r) => r.code === info.code);
      return row?.description !== info.description || row.text !== info.text;
    }).map((info) => info.code);
    expect(changed).toEqual([408]);
  });

  it('keeps the multi-line 403 description whole and ZDX spelling such as "Content- Length"', () => {
    expect(classifyStatus(403).description.split('\n')).toEqual([
      'One of the following permission errors occurred:',
      'The API key was disabled by your service provider.',
      "User's role has no access permissions or functional scope.",
      'A required SKU subscription is missing.',
      'Contact Zscaler Support or your Zscaler Account team for assistance.',
    ]);
    expect(classifyStatus(411).description).toContain('defined Content- Length. Repeat');
    expect(classifyStatus(402).text).toBe('Payment Required (Experimental)');
  });

  it('is frozen, as is every entry', () => {
    expect(Object.isFrozen(ZDX_STATUS_CODES)).toBe(true);
    for (const info of ZDX_STATUS_CODES) expect(Object.isFrozen(info)).toBe(true);
  });
});

describe('classifyStatus', () => {
  it('gives every code 100..599 the class of its range', () => {
    for (let code = 100; code <= 599; code++) {
      const info = classifyStatus(code);
      expect(info.code).toBe(code);
      expect(info.statusClass).toBe(`${String(code)[0]}xx`);
      expect(Object.isFrozen(info)).toBe(true);
    }
  });

  it('marks exactly 408, 429, 500, 502, 503 and 504 retryable', () => {
    const retryable: number[] = [];
    for (let code = 100; code <= 599; code++) if (classifyStatus(code).retryable) retryable.push(code);
    expect(retryable).toEqual(RETRYABLE);
    expect(classifyStatus(501).retryable).toBe(false);
    expect(classifyStatus(undefined).retryable).toBe(false);
    expect(classifyStatus(0).retryable).toBe(false);
  });

  it('marks exactly the table codes documented', () => {
    const documented: number[] = [];
    for (let code = 100; code <= 599; code++) if (classifyStatus(code).documented) documented.push(code);
    expect(documented).toEqual(rows.map((row) => row.code).sort((a, b) => a - b));
  });

  it.each([
    [100, '1xx', 'Continue'],
    [302, '3xx', 'Found'],
    [418, '4xx', "I'm a Teapot"],
    [422, '4xx', 'Unprocessable Entity'],
    [499, '4xx', 'Unknown Status'],
    [599, '5xx', 'Unknown Status'],
  ])('describes undocumented %i by its range and HTTP reason phrase', (code, statusClass, text) => {
    const info = classifyStatus(code);
    expect(info).toEqual({
      code,
      statusClass,
      text,
      description: `HTTP ${code} is not documented by ZDX; the class follows its range.`,
      retryable: false,
      documented: false,
    });
    expect(Object.isFrozen(info)).toBe(true);
  });

  it.each([0, 1, 99, 600, 1000, Number.NaN, 200.5, -1, -429, Infinity, -Infinity, Number.MAX_VALUE])(
    'classifies %s as unknown without throwing',
    (code) => {
      const info = classifyStatus(code);
      expect(info.statusClass).toBe('unknown');
      expect(info.code).toBe(Number.isFinite(code) ? code : undefined);
      expect(info.text).toBe('Invalid Status');
      expect(info.retryable).toBe(false);
      expect(info.documented).toBe(false);
      expect(Object.isFrozen(info)).toBe(true);
    },
  );

  it('classifies values that are not numbers at all as unknown', () => {
    for (const value of ['429', {}, true, 429n]) {
      const info = classifyStatus(value as unknown as number);
      expect(info.statusClass).toBe('unknown');
      expect(info.code).toBeUndefined();
    }
  });

  it.each([undefined, null])('classifies %s (no response) as error', (code) => {
    const info = classifyStatus(code);
    expect(info).toEqual({
      code: undefined,
      statusClass: 'error',
      text: 'No Response',
      description: 'The request failed before a response arrived.',
      retryable: false,
      documented: false,
    });
    expect(Object.isFrozen(info)).toBe(true);
    expect(classifyStatus(code)).toBe(info);
  });

  it('returns the same object on every call for a code', () => {
    expect(classifyStatus(429)).toBe(classifyStatus(429));
    expect(classifyStatus(418)).toBe(classifyStatus(418));
    expect(classifyStatus(undefined)).toBe(classifyStatus(null));
  });
});

describe('statusMessage', () => {
  it('is "<code> <text>: <description>" for one-line descriptions', () => {
    expect(statusMessage(classifyStatus(429))).toBe(
      '429 Too Many Requests: The user has sent too many requests in a given amount of time and exceeded the ' +
        'rate limit or device threshold. To learn more, see Understanding Rate Limiting.',
    );
    expect(statusMessage(classifyStatus(418))).toBe(
      "418 I'm a Teapot: HTTP 418 is not documented by ZDX; the class follows its range.",
    );
  });

  it('uses only the first line of the 403 description', () => {
    expect(statusMessage(classifyStatus(403))).toBe('403 Forbidden: One of the following permission errors occurred:');
  });

  it('omits the code when there is none', () => {
    expect(statusMessage(classifyStatus(undefined))).toBe('No Response: The request failed before a response arrived.');
    expect(statusMessage(classifyStatus(Number.NaN))).toBe(
      'Invalid Status: The status code is not a valid HTTP status code (100-599).',
    );
    expect(statusMessage(classifyStatus(600))).toBe(
      '600 Invalid Status: The status code is not a valid HTTP status code (100-599).',
    );
  });

  it('builds the message from the object it is given, not from the catalog entry of its code', () => {
    const custom = { ...classifyStatus(500), text: 'Custom', description: 'First\nSecond' };
    expect(statusMessage(custom)).toBe('500 Custom: First');
  });

  it('returns the same string for every code, whether precomputed or not', () => {
    for (let code = 100; code <= 599; code++) {
      const info = classifyStatus(code);
      expect(statusMessage(info)).toBe(statusMessage({ ...info }));
      expect(statusMessage(info).startsWith(`${code} ${info.text}: `)).toBe(true);
    }
  });
});
