/** LicenceDocumentFactory adapter: the licence renderer with its CJK font chain, signed PAdES B-B in the same pass (render-licence.ts). */
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
