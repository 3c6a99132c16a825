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
  /** The issuing department's unified social credit code (its seal carries it). */
  issuerCode: string;
  issuerNameZh: string;
  issuerNameEn: string;
  /** Decides the labels: 公民身份号码 for a person's resident ID, 统一社会信用代码 for an organisation's code. */
  holderKind: 'person' | 'organisation';
  holderName: string;
  holderId: string;
  /** A person certificate's photo, when the type has one: part of the signed PDF. */
  photo?: { kind: 'jpeg' | 'png'; bytes: Uint8Array; width: number; height: number };
  fields: LicenceDocumentField[];
  validFrom: string;
  /** null: no end date (长期). */
  validUntil: string | null;
  issuedAt: string;
  /** QR target: the public verification page of this licence, with its verification code in the fragment. */
  verifyUrl: string;
  /**
   * The licence's verification code (≥ 64 bits, unguessable): printed beside the QR code and written into the
   * PDF's metadata with the licence id, so a verifier that has the file has what the QR landing has.
   */
  verificationCode: string;
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
