import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_NAME_BYTES,
  planOutputKeys,
  sanitizeFileName,
  sanitizeNodeId,
} from '../../../shared/poller/output-keys.js';
import type { ComfyOutputFile } from '../../../shared/ports/comfy-client.js';

const TASK = '0b7c3c8e-1f2a-4b3c-8d4e-5f6a7b8c9d0e';
const file = (filename: string, extra: Partial<ComfyOutputFile> = {}): ComfyOutputFile => ({
  nodeId: '9',
  kind: 'images',
  filename,
  subfolder: '',
  type: 'output',
  ...extra,
});

/** Any code point (lone surrogates too), with the troublesome ones often. */
const nameChar = fc.oneof(
  fc.constantFrom(
    '/',
    '\\',
    '.',
    '..',
    ' ',
    '\t',
    '\u0000',
    '\u001f',
    '\u202e',
    '\u200b',
    'ｆ',
    'e\u0301',
  ),
  fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
);

describe('sanitizeFileName', () => {
  it('keeps ordinary names as they are', () => {
    expect(sanitizeFileName('ComfyUI_00001_.png')).toBe('ComfyUI_00001_.png');
    expect(sanitizeFileName('my clip (1).mp4')).toBe('my clip (1).mp4');
  });

  it('removes path tricks, control and invisible characters', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('_._etc_passwd');
    expect(sanitizeFileName('/abs/x.png')).toBe('_abs_x.png');
    expect(sanitizeFileName('a\u0000b\u001fc\u202e.png')).toBe('abc.png');
    expect(sanitizeFileName('..')).toBe('file');
    expect(sanitizeFileName('.hidden')).toBe('hidden');
    expect(sanitizeFileName('')).toBe('file');
  });

  it('normalises odd Unicode (NFKC) so look-alike forms become one name', () => {
    expect(sanitizeFileName('ｆｕｌｌ.png')).toBe('full.png');
    expect(sanitizeFileName('e\u0301.png')).toBe(sanitizeFileName('\u00e9.png'));
  });

  it('bounds the length, keeps the extension, and keeps long names that differ apart', () => {
    const a = sanitizeFileName(`${'x'.repeat(500)}a.webm`);
    const b = sanitizeFileName(`${'x'.repeat(500)}b.webm`);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(a.endsWith('.webm')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('never yields a segment that is empty, too long, or holds a separator, control char or ..', () => {
    fc.assert(
      fc.property(fc.string({ unit: nameChar, maxLength: 260 }), (raw) => {
        const s = sanitizeFileName(raw);
        return (
          s.length > 0 &&
          Buffer.byteLength(s) <= MAX_NAME_BYTES &&
          !/[/\\]|\.\.|^\.|[\p{Cc}\p{Cf}]/u.test(s) &&
          sanitizeFileName(raw) === s
        );
      }),
    );
    // ~4 s alone; over vitest's 5 s default when every project runs at once on 2 cores.
  }, 30_000);
});

describe('sanitizeNodeId', () => {
  it('keeps plain ids and makes subgraph ids key-safe', () => {
    expect(sanitizeNodeId('9')).toBe('9');
    expect(sanitizeNodeId('12:3')).toBe('12_3');
    expect(sanitizeNodeId('..')).toBe('_');
    expect(sanitizeNodeId('')).toBe('_');
  });
});

describe('planOutputKeys', () => {
  it('puts every output under the task prefix, by node', () => {
    const [p] = planOutputKeys('alice', TASK, [file('a.png')]);
    expect(p?.key).toBe(`outputs/alice/${TASK}/9/a.png`);
  });

  it('hashes an owner that is not a plain segment', () => {
    const [p] = planOutputKeys('auth0|user/1', TASK, [file('a.png')]);
    expect(p?.key).toMatch(new RegExp(`^outputs/h-[0-9a-f]{32}/${TASK}/9/a\\.png$`));
  });

  it('tells apart files that sanitise to one name, the same way whatever their order', () => {
    const files = [
      file('a.png', { subfolder: 'one' }),
      file('a.png', { subfolder: 'two' }),
      file('a.png', { subfolder: 'one', type: 'temp' }),
      file('b.png'),
    ];
    const forward = planOutputKeys('alice', TASK, files).map((p) => p.key);
    const backward = planOutputKeys('alice', TASK, [...files].reverse()).map((p) => p.key);
    expect(new Set(forward).size).toBe(4);
    expect([...forward].sort()).toEqual([...backward].sort());
    expect(forward).toContain(`outputs/alice/${TASK}/9/b.png`);
    for (const k of forward.filter((x) => !x.endsWith('b.png')))
      expect(k).toMatch(/\/9\/a-[0-9a-f]{8}\.png$/);
  });

  it('lists one key for a file reported twice', () => {
    expect(planOutputKeys('alice', TASK, [file('a.png'), file('a.png')])).toHaveLength(1);
  });

  it('gives distinct files distinct keys under the prefix, always', () => {
    const aFile = fc.record({
      nodeId: fc.constantFrom('9', '10', '12:3', '..'),
      kind: fc.constant('images'),
      filename: fc.oneof(fc.constantFrom('a.png', 'A.png', '../a.png', 'a..png'), fc.string()),
      subfolder: fc.constantFrom('', 'x', '../y'),
      type: fc.constantFrom('output', 'temp'),
    });
    fc.assert(
      fc.property(fc.array(aFile, { maxLength: 12 }), (files) => {
        const planned = planOutputKeys('alice', TASK, files);
        const keys = planned.map((p) => p.key);
        expect(new Set(keys).size).toBe(keys.length);
        for (const k of keys) {
          expect(k.startsWith(`outputs/alice/${TASK}/`)).toBe(true);
          expect(k.slice(`outputs/alice/${TASK}/`.length).split('/')).toHaveLength(2);
          expect(k).not.toContain('..');
          expect(Buffer.byteLength(k)).toBeLessThan(1024);
        }
      }),
    );
  });
});
