/** LicenceDocumentFactory adapter: pdf-lib rendering with the CJK font chain, then a PAdES B-B signature. */
import type { FontChain } from './fonts.ts';
import { renderSignedLicencePdf } from './render-licence.ts';
import type { LicenceDocumentFactory, SigningMaterial } from '../licences/licence-document.ts';

export type SigningMaterialSource = (issuerCode: string) => Promise<SigningMaterial>;

export function createPdfDocumentFactory(fonts: FontChain, signingMaterial: SigningMaterialSource): LicenceDocumentFactory {
  return {
    missingGlyphs: (text) => fonts.findMissingGlyphs(text),
    async produce(input, issuerCode, signingTime) {
      const signer = await signingMaterial(issuerCode);
      const rendered = await renderSignedLicencePdf(input, fonts, signer, {
        signingTime,
        reason: `E-licence ${input.licenceId} issued`,
        location: 'Licence Vault',
      });
      return rendered.pdf;
    },
  };
}
