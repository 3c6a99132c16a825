/**
 * The document port of the licence service: turn a licence into signed PDF bytes. The adapter below
 * (src/pdf/pdf-document-factory.ts, or the render pool) composes the PDF renderer and the PAdES signer; the service never sees fonts, layouts or keys.
 */

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

/** What a licence document shows, in the words and order the renderer prints them (no layout). */
export interface LicenceDocumentField {
  labelZh: string;
  labelEn: string;
  value: string;
}

export interface LicenceDocumentInput {
  licenceId: string;
  version: number;
  typeNameZh: string;
  typeNameEn: string;
  issuerNameZh: string;
  issuerNameEn: string;
  holderName: string;
  holderId: string;
  holderKindZh: string;
  holderKindEn: string;
  fields: LicenceDocumentField[];
  validFrom: string;
  validUntil: string | null;
  issuedAt: string;
  /** QR target. */
  verifyUrl: string;
  digitizedFromPaper?: { originalIssueDate: string; archiveLocation?: string };
  /** Scans of the historic paper: images become pages after the licence, PDFs are attached. */
  scans?: LicenceScan[];
}

export interface LicenceScan {
  fileName: string;
  sha256: string;
  images: Array<{ kind: 'jpeg' | 'png'; bytes: Uint8Array; width: number; height: number }> | null;
  pdfBytes?: Uint8Array;
}
