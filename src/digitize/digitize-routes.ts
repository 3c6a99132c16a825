import { DomainError } from '../errors/domain-error.ts';
import type { OperationHandlers } from '../http/http-types.ts';
import type { DigitizeJob, DigitizeJobs } from './digitize-jobs.ts';

function representation(job: DigitizeJob) {
  const { errorReportKey: _key, ...rest } = job;
  return { ...rest, links: { self: `/digitize/jobs/${job.id}`, errors: `/digitize/jobs/${job.id}/errors` } };
}

export function digitizeRoutes(jobs: DigitizeJobs): OperationHandlers {
  return {
    async submitDigitizeJob(ctx) {
      const body = ctx.body as { upload?: { id: string; dir: string }; manifest?: string; scans?: string; encoding?: string; dryRun?: string };
      if (!body.upload || !body.manifest || !body.scans) throw DomainError.invalid('UPLOAD_INVALID', 'send multipart/form-data with the files "manifest" and "scans" (a zip)', [{ field: body.manifest ? 'scans' : 'manifest', message: 'is required' }]);
      const job = await jobs.submit(ctx.principal, {
        id: body.upload.id, dir: body.upload.dir, manifestName: body.manifest,
        encoding: (body.encoding as never) ?? 'auto', dryRun: body.dryRun === 'true',
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
