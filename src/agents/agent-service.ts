/**
 * Company agents. A company signed in as itself (its USCC is the token subject, as with an electronic
 * business licence) appoints people by resident ID, each for a window. An appointed person then acts for
 * the company by sending `X-Acting-For: <USCC>` with their own holder token: every holder route then treats
 * the request as the company's, and consents record the agent who granted or withdrew them. An agent cannot
 * appoint or revoke agents; revocation and expiry count from the agent's next request.
 */
import crypto from 'node:crypto';
import type { HolderPrincipal, Principal } from '../principals/principal.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { FieldError } from '../errors/domain-error.ts';
import { checkHolderId } from '../identity/holder-id.ts';
import type { AgentAppointment, AgentScope, AgentStore } from './agent-types.ts';
import { AGENT_SCOPE_OF_OPERATION, AGENT_SCOPES, appointmentStatus } from './agent-types.ts';

export interface AppointAgentRequest {
  agentId: string;
  agentName?: string;
  /** What the agent may do for the company; all scopes when omitted. */
  scopes?: AgentScope[];
  validFrom?: string;
  validUntil: string;
}

/** An appointment lasts at most this long; the company renews it by appointing again. */
const MAX_APPOINTMENT_MS = 3 * 366 * 24 * 3600 * 1000;

export class AgentService {
  constructor(private readonly deps: { store: AgentStore; now?: () => Date }) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async appoint(principal: Principal | null, request: AppointAgentRequest): Promise<AgentAppointment> {
    const company = requireCompanyItself(principal);
    const errors: FieldError[] = [];
    const agent = checkHolderId('person', request.agentId);
    if (!agent.ok) errors.push({ field: 'agentId', message: `is not a valid resident ID number: ${agent.message}` });
    const now = this.now();
    const validFrom = request.validFrom ? new Date(request.validFrom) : now;
    const validUntil = new Date(request.validUntil);
    if (Number.isNaN(validFrom.getTime())) errors.push({ field: 'validFrom', message: 'is not a date-time' });
    if (Number.isNaN(validUntil.getTime())) errors.push({ field: 'validUntil', message: 'is not a date-time' });
    else if (validUntil <= now) errors.push({ field: 'validUntil', message: 'is in the past' });
    else if (validUntil <= validFrom) errors.push({ field: 'validUntil', message: 'must be after validFrom' });
    else if (validUntil.getTime() - validFrom.getTime() > MAX_APPOINTMENT_MS) errors.push({ field: 'validUntil', message: 'an appointment lasts at most three years' });
    const scopes = request.scopes ?? [...AGENT_SCOPES];
    if (scopes.length === 0 || scopes.some((scope) => !AGENT_SCOPES.includes(scope))) errors.push({ field: 'scopes', message: `must name at least one of ${AGENT_SCOPES.join(', ')}` });
    if (!agent.ok || errors.length > 0) throw DomainError.invalid('AGENT_APPOINTMENT_INVALID', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
    const appointment: AgentAppointment = {
      id: `agt_${crypto.randomUUID()}`, companyId: company.holderId, agentId: agent.value, agentName: request.agentName ?? null,
      scopes: AGENT_SCOPES.filter((scope) => scopes.includes(scope)),
      validFrom: validFrom.toISOString(), validUntil: validUntil.toISOString(), appointedAt: now.toISOString(), revokedAt: null,
    };
    await this.deps.store.insert(appointment);
    return appointment;
  }

  async listAgents(principal: Principal | null): Promise<AgentAppointment[]> {
    return this.deps.store.listByCompany(requireCompanyItself(principal).holderId);
  }

  async revoke(principal: Principal | null, id: string): Promise<AgentAppointment> {
    const company = requireCompanyItself(principal);
    const appointment = await this.deps.store.get(id);
    if (!appointment || appointment.companyId !== company.holderId) throw DomainError.notFound('AGENT_APPOINTMENT_NOT_FOUND', `no appointment ${id} of your company`);
    if (!(await this.deps.store.revoke(id, this.now().toISOString()))) throw DomainError.conflict('AGENT_APPOINTMENT_ALREADY_REVOKED', 'this appointment was already revoked');
    return (await this.deps.store.get(id))!;
  }

  /** The companies a person is (or was) appointed to act for. */
  async listAgencies(principal: Principal | null): Promise<AgentAppointment[]> {
    if (!principal) throw DomainError.authenticationRequired();
    if (principal.kind !== 'holder' || principal.holderKind !== 'person' || principal.agent) throw DomainError.forbidden('PERSON_REQUIRED', 'only a person signed in as themselves has agencies');
    return this.deps.store.listByAgent(principal.holderId);
  }

  /**
   * The company's principal for a person appointed to act for it now, for `operationId`; refuses everyone
   * else, and an agent whose appointments do not cover the operation.
   */
  async actFor(principal: Principal, companyHeader: string, operationId: string): Promise<HolderPrincipal> {
    const company = checkHolderId('organisation', companyHeader.trim());
    if (!company.ok) throw DomainError.invalid('ACTING_FOR_INVALID', `X-Acting-For is not a valid unified social credit code: ${company.message}`);
    if (principal.kind !== 'holder' || principal.holderKind !== 'person' || principal.agent) throw DomainError.forbidden('ACTING_FOR_NOT_ALLOWED', 'only a person signed in as themselves can act for a company');
    const now = this.now();
    const active = (await this.deps.store.listByAgent(principal.holderId)).filter((a) => a.companyId === company.value && appointmentStatus(a, now) === 'ACTIVE');
    if (active.length === 0) throw DomainError.forbidden('AGENT_NOT_APPOINTED', `you are not appointed to act for ${company.value} now`);
    const needed = AGENT_SCOPE_OF_OPERATION[operationId];
    if (!needed) throw DomainError.forbidden('AGENT_OPERATION_NOT_ALLOWED', `an agent acts for a company on its licences, consents and data tracker only; ${operationId} is none of them`);
    if (!active.some((a) => a.scopes.includes(needed))) throw DomainError.forbidden('AGENT_SCOPE_NOT_GRANTED', `your appointment by ${company.value} does not cover its ${needed}`);
    return { kind: 'holder', holderKind: 'organisation', holderId: company.value, name: null, agent: { id: principal.holderId, name: principal.name } };
  }

  status(appointment: AgentAppointment) {
    return appointmentStatus(appointment, this.now());
  }
}

function requireCompanyItself(principal: Principal | null): HolderPrincipal {
  if (!principal) throw DomainError.authenticationRequired();
  if (principal.kind !== 'holder' || principal.holderKind !== 'organisation') throw DomainError.forbidden('COMPANY_REQUIRED', 'only a company appoints and revokes its agents');
  if (principal.agent) throw DomainError.forbidden('AGENT_CANNOT_APPOINT', 'an agent cannot appoint or revoke agents; the company itself does');
  return principal;
}
