/** A digitization manifest for the fault tests, with an exact expected outcome. */
import fs from 'node:fs';
import path from 'node:path';
import { HOLDERS } from '../support/test-vault.ts';
import { zipStore } from '../support/zip.ts';
import { makeJpeg } from '../digitize/messy-manifest-generator.ts';

/**
 * A manifest of business licences whose expected outcome is exact: every 20th row has a wrong USCC check
 * character (rejected BAD_HOLDER_ID), every other row is good and unique. Scans are tiny JPEGs.
 */
export function buildFaultManifest(dir: string, rows: number): { manifestPath: string; scansZip: Uint8Array; goodKeys: string[]; badRows: number } {
  fs.mkdirSync(dir, { recursive: true });
  const header = 'source_system,source_record_id,licence_type,holder_id,holder_name,original_issue_date,valid_from,valid_until,field.entityType,field.legalRepresentative,field.registeredCapital,field.establishedOn,field.address,field.businessScope,scans,archive_location,reviewing_clerk';
  const lines = [header];
  const scans: Array<{ name: string; bytes: Uint8Array }> = [];
  const goodKeys: string[] = [];
  let badRows = 0;
  for (let i = 1; i <= rows; i++) {
    const record = `K${String(i).padStart(6, '0')}`;
    const bad = i % 20 === 0;
    const holder = bad ? `${HOLDERS.companyA.slice(0, 17)}${HOLDERS.companyA.endsWith('3') ? '4' : '3'}` : HOLDERS.companyA;
    const scan = `${record}-1.jpg`;
    scans.push({ name: scan, bytes: new Uint8Array(makeJpeg(`fault scan ${record}`)) });
    lines.push(['GSJ-1998', record, 'business-licence', holder, '北京建国餐饮管理有限公司', '2003年12月1日', '2003-12-01', '长期', '有限责任公司', '张伟', '人民币壹佰万元整', '1998-03-05', `北京市朝阳区建国路${i}号`, '餐饮服务', scan, `档案室2号柜-第${1 + (i % 40)}层`, '陳志強'].join(','));
    if (bad) badRows += 1;
    else goodKeys.push(`GSJ-1998/${record}`);
  }
  const manifestPath = path.join(dir, 'manifest.csv');
  fs.writeFileSync(manifestPath, lines.join('\r\n') + '\r\n');
  return { manifestPath, scansZip: zipStore(scans), goodKeys, badRows };
}

/** Uploads the manifest and its scans as a digitization job (POST /digitize/jobs); returns the job id. */
export async function submitDigitizeJob(baseUrl: string, token: string, manifest: { manifestPath: string; scansZip: Uint8Array }): Promise<string> {
  const form = new FormData();
  form.set('manifest', new Blob([fs.readFileSync(manifest.manifestPath)]), 'manifest.csv');
  form.set('scans', new Blob([Buffer.from(manifest.scansZip)]), 'scans.zip');
  const submitted = await fetch(`${baseUrl}/digitize/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (submitted.status !== 202) throw new Error(`digitization job not accepted: ${submitted.status} ${await submitted.text()}`);
  return ((await submitted.json()) as { id: string }).id;
}
