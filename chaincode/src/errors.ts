/*
 * Stable error codes. Every error thrown by a transaction has a message of
 * the form "<CODE>: <detail>" so clients (the Licence Vault service, the
 * Fabric Gateway SDK which surfaces the chaincode error message) can branch on
 * the prefix without parsing prose.
 */
export const ErrorCode = {
    INVALID_ARGUMENT: 'INVALID_ARGUMENT',
    ACCESS_DENIED: 'ACCESS_DENIED',
    NOT_FOUND: 'NOT_FOUND',
    FORK_DETECTED: 'FORK_DETECTED',
    SIZE_NOT_INCREASING: 'SIZE_NOT_INCREASING',
    CONSISTENCY_PROOF_INVALID: 'CONSISTENCY_PROOF_INVALID',
    TIME_NOT_INCREASING: 'TIME_NOT_INCREASING',
    INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ChaincodeError extends Error {
    public readonly code: ErrorCode;

    constructor(code: ErrorCode, detail: string) {
        super(`${code}: ${detail}`);
        this.name = 'ChaincodeError';
        this.code = code;
    }
}

export function fail(code: ErrorCode, detail: string): never {
    throw new ChaincodeError(code, detail);
}
