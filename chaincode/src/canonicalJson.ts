/*
 * Canonical JSON serialisation (RFC 8785 / JCS compatible for the values this
 * chaincode stores: strings, safe integers, booleans, null, arrays, objects).
 *
 * - object keys sorted by UTF-16 code units (JavaScript's default sort order,
 *   as RFC 8785 §3.2.3 requires), recursively;
 * - no insignificant whitespace;
 * - strings escaped as ECMAScript JSON.stringify does (RFC 8785 §3.2.2.2);
 * - only safe integers are accepted as numbers, so the ECMAScript number
 *   serialisation RFC 8785 mandates is the plain decimal form;
 * - undefined, functions, symbols, bigints, non-finite and non-integer
 *   numbers are rejected rather than silently dropped.
 *
 * Every endorsing peer must write byte-identical state, so nothing here
 * depends on insertion order or locale.
 */
export type CanonicalValue =
    | null
    | boolean
    | number
    | string
    | readonly CanonicalValue[]
    | { readonly [key: string]: CanonicalValue };

export function canonicalJson(value: unknown): string {
    return serialise(value, '$');
}

export function canonicalJsonBytes(value: unknown): Buffer {
    return Buffer.from(canonicalJson(value), 'utf8');
}

function serialise(value: unknown, path: string): string {
    if (value === null) {
        return 'null';
    }
    switch (typeof value) {
        case 'boolean':
            return value ? 'true' : 'false';
        case 'string':
            return JSON.stringify(value);
        case 'number':
            if (!Number.isSafeInteger(value)) {
                throw new TypeError(`canonicalJson: ${path} is not a safe integer`);
            }
            // Normalise -0 to 0 (RFC 8785 serialises -0 as 0).
            return String(value === 0 ? 0 : value);
        case 'object': {
            if (Array.isArray(value)) {
                return `[${value.map((v, i) => serialise(v, `${path}[${i}]`)).join(',')}]`;
            }
            const proto = Object.getPrototypeOf(value) as unknown;
            if (proto !== Object.prototype && proto !== null) {
                throw new TypeError(`canonicalJson: ${path} is not a plain object`);
            }
            const obj = value as Record<string, unknown>;
            const keys = Object.keys(obj).sort();
            const members = keys.map((k) => `${JSON.stringify(k)}:${serialise(obj[k], `${path}.${k}`)}`);
            return `{${members.join(',')}}`;
        }
        default:
            throw new TypeError(`canonicalJson: ${path} has unsupported type ${typeof value}`);
    }
}
