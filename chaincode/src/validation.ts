import { ErrorCode, fail } from './errors';

const HEX64 = /^[0-9a-fA-F]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
// C0/C1 control characters (includes U+0000, the composite-key delimiter).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const MAX_IDENTIFIER_LENGTH = 256;
/** A consistency proof has at most ~2·log2(size) nodes; 2^53 sizes need < 110. */
export const MAX_PROOF_NODES = 128;
export const MAX_WRITER_MSPS = 64;

export const LICENCE_STATUSES = ['active', 'suspended', 'revoked', 'superseded'] as const;
export type LicenceStatus = (typeof LICENCE_STATUSES)[number];

/** A non-empty identifier (origin, licence id, MSP id) safe for a composite key and canonical JSON. */
export function parseIdentifier(value: unknown, name: string): string {
    if (typeof value !== 'string' || value.length === 0) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be a non-empty string`);
    }
    if (value.length > MAX_IDENTIFIER_LENGTH) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be at most ${MAX_IDENTIFIER_LENGTH} characters`);
    }
    if (CONTROL.test(value) || LONE_SURROGATE.test(value)) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} contains control characters or unpaired surrogates`);
    }
    if (value.trim() !== value) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must not have leading or trailing whitespace`);
    }
    return value;
}

/** 64 hex digits, normalised to lower case. */
export function parseHex64(value: unknown, name: string): string {
    if (typeof value !== 'string' || !HEX64.test(value)) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be 64 hexadecimal digits`);
    }
    return value.toLowerCase();
}

/** A tree size: a decimal string without sign or leading zeros, at most 2^53 - 1. */
export function parseTreeSize(value: unknown, name: string): number {
    if (typeof value !== 'string' || !DECIMAL.test(value)) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be a decimal integer string`);
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n)) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} exceeds 2^53 - 1`);
    }
    return n;
}

function parseJson(value: unknown, name: string): unknown {
    if (typeof value !== 'string') {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be a JSON string`);
    }
    try {
        return JSON.parse(value) as unknown;
    } catch {
        return fail(ErrorCode.INVALID_ARGUMENT, `${name} is not valid JSON`);
    }
}

/** A JSON array of 64-hex strings, normalised to lower case. */
export function parseProof(value: unknown, name: string): string[] {
    const parsed = parseJson(value, name);
    if (!Array.isArray(parsed)) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be a JSON array`);
    }
    if (parsed.length > MAX_PROOF_NODES) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} has more than ${MAX_PROOF_NODES} nodes`);
    }
    return parsed.map((node, i) => parseHex64(node, `${name}[${i}]`));
}

/** A non-empty JSON array of MSP ids; returned de-duplicated and sorted. */
export function parseMspIdList(value: unknown, name: string): string[] {
    const parsed = parseJson(value, name);
    if (!Array.isArray(parsed) || parsed.length === 0) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be a non-empty JSON array of MSP ids`);
    }
    if (parsed.length > MAX_WRITER_MSPS) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} has more than ${MAX_WRITER_MSPS} entries`);
    }
    const ids = parsed.map((id, i) => parseIdentifier(id, `${name}[${i}]`));
    return [...new Set(ids)].sort();
}

export function parseStatus(value: unknown, name: string): LicenceStatus {
    if (typeof value !== 'string' || !(LICENCE_STATUSES as readonly string[]).includes(value)) {
        fail(ErrorCode.INVALID_ARGUMENT, `${name} must be one of ${LICENCE_STATUSES.join('|')}`);
    }
    return value as LicenceStatus;
}

/**
 * A department's time of a status change: RFC 3339 in UTC with milliseconds (`2026-12-07T10:15:00.000Z`),
 * exactly as `Date.prototype.toISOString` writes it, so stored times compare as strings and every endorser
 * reads the same value.
 */
export function parseChangeTime(value: unknown, name: string): string {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) {
        return fail(ErrorCode.INVALID_ARGUMENT, `${name} must be an RFC 3339 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)`);
    }
    const ms = Date.parse(value);
    if (Number.isNaN(ms) || new Date(ms).toISOString() !== value) {
        return fail(ErrorCode.INVALID_ARGUMENT, `${name} is not a real time: ${value}`);
    }
    return value;
}
