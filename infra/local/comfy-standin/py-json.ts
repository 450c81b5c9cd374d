/**
 * JSON text as Python's `json.dumps` writes it (aiohttp `json_response`): `", "` and `": "` separators
 * and non-ASCII escaped as \uXXXX, so byte-level consumers see what a real ComfyUI sends. Python's
 * `str()`/`repr()` of the values in validation messages are here too.
 */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${asciiString(k)}: ${pyJson(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return 'null';
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Python `str()` of a JSON value (floats keep a `.0` when `asFloat`). */
export function pyStr(v: unknown, asFloat = false): string {
  if (typeof v === 'number') return asFloat && Number.isInteger(v) ? `${v}.0` : String(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  return pyRepr(v);
}

/** Python `repr()` of a JSON value. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return pyStr(v);
}
