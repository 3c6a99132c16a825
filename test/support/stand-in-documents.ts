/**
 * Stand-in PDFs, so tests about anchoring or outages issue hundreds of licences in seconds: they are
 * not about rendering. Unique bytes per call, as real documents are.
 */
import crypto from 'node:crypto';
import type { LicenceDocumentFactory } from '../../src/licences/licence-document.ts';

export const standInDocuments: LicenceDocumentFactory = {
  missingGlyphs: () => [],
  produce: async (input) => new TextEncoder().encode(`%PDF-1.7 stand-in ${input.licenceId} ${crypto.randomUUID()}`),
};
