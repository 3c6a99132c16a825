import type { OperationHandlers } from '../http/http-types.ts';
import type { AgentService, AppointAgentRequest } from './agent-service.ts';
import type { AgentAppointment } from './agent-types.ts';

export function agentRoutes(service: AgentService): OperationHandlers {
  const view = (a: AgentAppointment) => ({ ...a, status: service.status(a) });
  return {
    async appointAgent(ctx) {
      const appointment = await service.appoint(ctx.principal, ctx.body as AppointAgentRequest);
      return { status: 201, json: view(appointment) };
    },
    async listMyAgents(ctx) {
      return { status: 200, json: { items: (await service.listAgents(ctx.principal)).map(view) } };
    },
    async revokeAgent(ctx) {
      return { status: 200, json: view(await service.revoke(ctx.principal, ctx.params.appointmentId ?? '')) };
    },
    async listMyAgencies(ctx) {
      return { status: 200, json: { items: (await service.listAgencies(ctx.principal)).map(view) } };
    },
  };
}
