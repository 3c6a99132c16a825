import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { DigitizeJob, DigitizeJobs } from './digitize-jobs.ts';
import { errorReportUrl } from './digitize-jobs.ts';

function representation(job: DigitizeJob) {
  return { ...job, links: { self: `/digitize/jobs/${job.id}`, errors: errorReportUrl(job.id) } };
}

export function digitizeRoutes(jobs: DigitizeJobs): OperationHandlers {
  return {
    async submitDigitizeJob(ctx) {
      const body = ctx.body as { upload?: { id: string }; manifest?: string; scans?: string; encoding?: string; dryRun?: string; centuryPivot?: string };
      if (!body.upload || !body.manifest || !body.scans) throw DomainError.invalid('UPLOAD_INVALID', 'send multipart/form-data with the files "manifest" and "scans" (a zip)', [{ field: body.manifest ? 'scans' : 'manifest', message: 'is required' }]);
      const pivot = body.centuryPivot?.trim();
      if (pivot !== undefined && pivot !== '' && !/^\d{1,2}$/.test(pivot)) throw DomainError.invalid('UPLOAD_INVALID', 'centuryPivot is a two-digit year, 0–99: two-digit years up to it are read as 20yy, the others as 19yy', [{ field: 'centuryPivot', message: 'must be a whole number 0–99' }]);
      const job = await jobs.submit(ctx.principal, {
        id: body.upload.id, manifestName: body.manifest,
        encoding: (body.encoding as never) ?? 'auto', dryRun: body.dryRun === 'true',
        ...(pivot ? { centuryPivot: Number(pivot) } : {}),
      });
      return { status: 202, json: representation(job), headers: { Location: `/digitize/jobs/${job.id}` } };
    },
    async getDigitizeJob(ctx) {
      return { status: 200, json: representation(await jobs.get(ctx.principal, ctx.params.jobId ?? '')) };
    },
    async getDigitizeJobErrors(ctx) {
      return { status: 200, body: await jobs.errorReport(ctx.principal, ctx.params.jobId ?? ''), contentType: 'text/csv; charset=utf-8' };
    },
  };
}
