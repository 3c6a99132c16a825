/** Thin mapping of the crosswalk: a holder's identifiers, an issuer adding one, the admin's conflicts. */
import type { OperationHandlers } from '../http/http-types.ts';
import type { AddAliasRequest, Crosswalk } from './crosswalk.ts';

export function holderRoutes(crosswalk: Crosswalk): OperationHandlers {
  return {
    async listHolderIdentifiers(ctx) {
      return { status: 200, json: { items: await crosswalk.aliases(ctx.principal, ctx.params.holderId ?? '') } };
    },
    async addHolderIdentifier(ctx) {
      const alias = await crosswalk.addAlias(ctx.principal, ctx.params.holderId ?? '', ctx.body as AddAliasRequest);
      return { status: 201, json: alias };
    },
    async listIdentifierConflicts(ctx) {
      return { status: 200, json: { items: await crosswalk.conflicts(ctx.principal) } };
    },
  };
}
