/**
 * The document port of the licence service: turn a licence into signed PDF bytes. The adapter below
 * composes the PDF renderer and the PAdES signer; the service never sees fonts, layouts or keys.
 */
import type { LicenceDocumentInput } from '../pdf/render-licence.ts';

export interface SigningMaterial {
  keyPem: string;
  /** Leaf first, then the issuer CA. */
  chainPem: string[];
}

export interface LicenceDocumentFactory {
  /** Characters of `text` that no configured font can draw, as "U+XXXXX (c)" strings. */
  missingGlyphs(text: string): string[];
  produce(input: LicenceDocumentInput, issuerCode: string, signingTime: Date): Promise<Uint8Array>;
}

export type { LicenceDocumentInput };
