/**
 * A failed call in the reader's language. The service answers RFC 9457 problems with a stable `code` and,
 * for input errors, `errors: [{field, message}]` in English; a person reads a sentence for the code and each
 * field by its name ("体检日期：日期格式不对"), never the English validation text or JSON. Codes this page does
 * not know fall back to a sentence for the HTTP status.
 */

type Lang = 'zh-CN' | 'en';
type Words = { zh: string; en: string };

interface ProblemLike { status: number; code: string; errors?: Array<{ field: string; message: string }> }

const CODES: Record<string, Words> = {
  HOLDER_ID_INVALID: { zh: '号码不对：请核对身份证号或统一社会信用代码（18 位，最后一位是校验码）。', en: 'That number is not right: check the resident ID number or unified social credit code (18 characters, the last one a check character).' },
  ACTING_FOR_INVALID: { zh: '代理企业的统一社会信用代码不对，请核对。', en: "The company's unified social credit code is not right; check it." },
  AGENT_NOT_APPOINTED: { zh: '您没有被该企业指定为经办人，或指定已失效。', en: 'You are not appointed as an agent of this company, or the appointment has ended.' },
  AGENT_SCOPE_NOT_GRANTED: { zh: '您的经办人授权不包括此项。', en: 'Your appointment as agent does not cover this.' },
  AGENT_OPERATION_NOT_ALLOWED: { zh: '经办人不能办理此项，请由企业本身办理。', en: 'An agent cannot do this; the company itself has to.' },
  AGENT_CANNOT_APPOINT: { zh: '只有企业本身可以指定经办人。', en: 'Only the company itself can appoint agents.' },
  AGENT_APPOINTMENT_INVALID: { zh: '经办人指定的内容有误，请核对。', en: 'The appointment is not right; check it.' },
  AGENT_APPOINTMENT_ALREADY_REVOKED: { zh: '该经办人已被撤销。', en: 'This agent has already been revoked.' },
  COMPANY_REQUIRED: { zh: '只有企业可以办理此项。', en: 'Only a company can do this.' },
  PERSON_REQUIRED: { zh: '经办人必须是个人（身份证号）。', en: 'An agent must be a person (resident ID number).' },
  TOKEN_INVALID: { zh: '登录已失效，请重新登录。', en: 'Your sign-in has expired. Please sign in again.' },
  AUTHENTICATION_REQUIRED: { zh: '请先登录。', en: 'Please sign in first.' },
  ACCESS_DENIED: { zh: '您无权办理此项。', en: 'You may not do this.' },
  ROLE_REQUIRED: { zh: '您所在部门没有办理此项的权限。', en: 'Your department has no right to do this.' },
  DEV_IDP_DISABLED: { zh: '开发用登录已关闭，请通过统一身份认证登录。', en: 'Development sign-in is off; sign in through the identity provider.' },
  DEPARTMENT_UNKNOWN: { zh: '没有这个部门。', en: 'There is no such department.' },
  LICENCE_NOT_FOUND: { zh: '找不到这本证照。', en: 'This licence cannot be found.' },
  NOT_FOUND: { zh: '找不到要查看的内容。', en: 'This cannot be found.' },
  RECEIPT_PENDING: { zh: '核验凭据还在生成中（证照尚未记入日志检查点），请稍后再试。', en: 'The proof is still being made (the licence is not in a log checkpoint yet); try again shortly.' },
  DOCUMENT_CORRUPT: { zh: '证照文件校验不一致，已停止下载。请联系发证机关。', en: 'The licence file does not match its record, so it was not downloaded. Contact the issuing department.' },
  FIELDS_INVALID: { zh: '更正后的内容不符合该证照的填写要求。', en: 'The corrected details do not fit what this licence requires.' },
  FIELD_INVALID: { zh: '填写的内容有误。', en: 'Something you entered is not right.' },
  FIELD_UNKNOWN: { zh: '这本证照没有这一项。', en: 'This licence has no such detail.' },
  HOLDER_NAME_INVALID: { zh: '姓名或名称不对，请核对。', en: 'The name is not right; check it.' },
  UNRENDERABLE_CHARACTER: { zh: '姓名中有证照无法印出的字，请联系发证机关。', en: 'The name has a character the licence cannot print; contact the issuing department.' },
  CORRECTION_PENDING: { zh: '这本证照已有一份更正申请在等待处理，请等部门答复后再申请。', en: 'A correction of this licence is already waiting for the department; wait for its answer before asking again.' },
  CORRECTION_INVALID: { zh: '更正申请的内容有误，请核对。', en: 'The correction request is not right; check it.' },
  LICENCE_NOT_CORRECTABLE: { zh: '这本证照已失效，不能再申请更正。', en: 'This licence is no longer in force and cannot be corrected.' },
  EVIDENCE_INVALID: { zh: '证明材料只能是 5 MB 以内的照片（JPEG、PNG）或 PDF 文件。', en: 'Evidence must be a photo (JPEG, PNG) or a PDF of at most 5 MB.' },
  CONSENT_DUPLICATE: { zh: '您已经给过相同的授权，而且仍然有效，不必重复授权。', en: 'You have already given this consent and it is still in force; there is no need to give it again.' },
  CONSENT_INVALID: { zh: '授权的内容有误，请核对。', en: 'The consent is not right; check it.' },
  CONSENT_ALREADY_WITHDRAWN: { zh: '这项授权已经撤回。', en: 'This consent has already been withdrawn.' },
  CONSENT_NOT_FOUND: { zh: '找不到这项授权。', en: 'This consent cannot be found.' },
  CONSENT_REQUEST_NOT_FOUND: { zh: '找不到这份授权申请：链接可能有误，或申请不是发给您的。', en: 'This consent request cannot be found: the link may be wrong, or the request is not addressed to you.' },
  CONSENT_REQUEST_ANSWERED: { zh: '这份授权申请已经答复过了。', en: 'This consent request has already been answered.' },
  CONSENT_REQUEST_EXPIRED: { zh: '这份授权申请已过期，请让部门重新发起。', en: 'This consent request has expired; ask the department to raise it again.' },
  CONSENT_REQUEST_INVALID: { zh: '授权申请的内容有误。', en: 'The consent request is not right.' },
  PURPOSE_INVALID: { zh: '办理事项不对，请从目录中选择。', en: 'The service item is not right; choose one from the catalogue.' },
  LICENCE_TYPE_UNKNOWN: { zh: '没有这种证照。', en: 'There is no such kind of licence.' },
  RATE_LIMITED: { zh: '操作太频繁，请稍后再试。', en: 'Too many requests; try again in a moment.' },
  BODY_TOO_LARGE: { zh: '上传的内容太大。', en: 'What you sent is too large.' },
  DATABASE_UNAVAILABLE: { zh: '服务暂时不可用，请稍后再试。', en: 'The service is unavailable right now; try again later.' },
  LEDGER_UNAVAILABLE: { zh: '服务暂时不可用，请稍后再试。', en: 'The service is unavailable right now; try again later.' },
  OBJECT_STORE_UNAVAILABLE: { zh: '服务暂时不可用，请稍后再试。', en: 'The service is unavailable right now; try again later.' },
  RANGE_INVALID: { zh: '开始日期不能晚于结束日期。', en: 'The start date cannot be after the end date.' },
  REQUEST_INVALID: { zh: '填写的内容有误，请核对。', en: 'Something you entered is not right; check it.' },
};

const BY_STATUS: Record<number, Words> = {
  400: { zh: '填写的内容有误，请核对。', en: 'Something you entered is not right; check it.' },
  401: CODES.TOKEN_INVALID!,
  403: CODES.ACCESS_DENIED!,
  404: CODES.NOT_FOUND!,
  409: { zh: '操作与当前状态冲突，请刷新后再试。', en: 'This clashes with the current state; refresh and try again.' },
  413: CODES.BODY_TOO_LARGE!,
  429: CODES.RATE_LIMITED!,
};
const SERVER: Words = { zh: '服务出了问题，请稍后再试。', en: 'Something went wrong on our side; try again later.' };
const OFFLINE: Words = { zh: '无法连接服务，请检查网络后重试。', en: 'The service cannot be reached; check your connection and try again.' };

/** Names of the request fields people fill in (request paths as the service reports them). */
const FIELD_NAMES: Record<string, Words> = {
  subject: { zh: '身份证号或统一社会信用代码', en: 'Resident ID number or USCC' },
  name: { zh: '姓名', en: 'Name' },
  holderName: { zh: '持证人姓名或名称', en: "Holder's name" },
  reason: { zh: '原因', en: 'Reason' },
  evidence: { zh: '证明材料', en: 'Evidence' },
  'evidence.contentBase64': { zh: '证明材料', en: 'Evidence' },
  'evidence.fileName': { zh: '证明材料文件名', en: 'Evidence file name' },
  fields: { zh: '更正内容', en: 'Corrected details' },
  requester: { zh: '部门', en: 'Department' },
  purpose: { zh: '办理事项', en: 'Service item' },
  'purpose.code': { zh: '事项编码', en: 'Service item code' },
  'purpose.text': { zh: '事项名称', en: 'Service item name' },
  licenceTypes: { zh: '证照类型', en: 'Licence types' },
  validUntil: { zh: '有效期至', en: 'Valid until' },
  validFrom: { zh: '生效时间', en: 'Valid from' },
  maxUses: { zh: '最多使用次数', en: 'Maximum uses' },
  agentId: { zh: '经办人身份证号', en: "Agent's resident ID number" },
  agentName: { zh: '经办人姓名', en: "Agent's name" },
  scopes: { zh: '授权范围', en: 'What the agent may do' },
  department: { zh: '部门', en: 'Department' },
  holderId: { zh: '持证人号码', en: 'Holder number' },
  from: { zh: '开始日期', en: 'From' },
  to: { zh: '结束日期', en: 'To' },
  'x-acting-for': { zh: '代理企业的统一社会信用代码', en: "Company's USCC" },
};

/** What went wrong with one field, from the validator's English message (ajv's wording and the service's own). */
function fieldProblem(message: string): Words {
  const m = message.toLowerCase();
  if (/fewer than 1 characters|must not be empty|is empty|is required|must have required property/.test(m)) return { zh: '不能为空', en: 'cannot be empty' };
  if (/format "date"/.test(m)) return { zh: '日期格式不对', en: 'is not a date' };
  if (/format "date-time"/.test(m)) return { zh: '日期或时间不对', en: 'is not a date and time' };
  if (/more than (\d+) characters/.test(m)) return { zh: `太长了（最多 ${/more than (\d+)/.exec(m)![1]} 个字符）`, en: `is too long (at most ${/more than (\d+)/.exec(m)![1]} characters)` };
  if (/fewer than 1 items|minproperties|fewer than 1 properties/.test(m)) return { zh: '至少要选一项', en: 'needs at least one' };
  if (/must be >= (\d+)/.test(m)) return { zh: `不能小于 ${/>= (\d+)/.exec(m)![1]}`, en: `must be at least ${/>= (\d+)/.exec(m)![1]}` };
  if (/must be <= (\d+)/.test(m)) return { zh: `不能大于 ${/<= (\d+)/.exec(m)![1]}`, en: `must be at most ${/<= (\d+)/.exec(m)![1]}` };
  if (/equal to one of the allowed values|must be equal to constant/.test(m)) return { zh: '只能从给定的选项中选', en: 'must be one of the listed choices' };
  if (/not a field of this licence/.test(m)) return { zh: '这本证照没有这一项', en: 'is not a detail of this licence' };
  if (/same as|unchanged|already/.test(m)) return { zh: '和原来一样，没有更正', en: 'is the same as before' };
  if (/check character|resident id|credit code/.test(m)) return { zh: '号码不对（请核对校验位）', en: 'is not a valid number (check the last character)' };
  if (/cannot be drawn|glyph|code point/.test(m)) return { zh: '含有证照上无法印出的字', en: 'has a character the licence cannot print' };
  if (/too large|mib|bytes/.test(m)) return { zh: '文件太大（最多 5 MB）', en: 'is too large (at most 5 MB)' };
  if (/jpeg|png|pdf|media type/.test(m)) return { zh: '只能是照片（JPEG、PNG）或 PDF', en: 'must be a photo (JPEG, PNG) or a PDF' };
  if (/past|future|before|after/.test(m)) return { zh: '日期不在允许的范围内', en: 'is outside the allowed dates' };
  return { zh: '填写有误', en: 'is not right' };
}

function fieldName(field: string, lang: Lang, fieldLabel?: (field: string) => string | undefined): string {
  const own = fieldLabel?.(field);
  if (own) return own;
  const words = FIELD_NAMES[field] ?? FIELD_NAMES[field.replace(/^(body|query|header)\./, '')];
  if (words) return lang === 'en' ? words.en : words.zh;
  // fields.<name> of a licence the page did not name: the last part, which is at least not a sentence.
  const last = field.split('.').pop() ?? field;
  return lang === 'en' ? last : `“${last}”`;
}

function isProblem(error: unknown): error is ProblemLike {
  return typeof error === 'object' && error !== null && typeof (error as ProblemLike).status === 'number' && typeof (error as ProblemLike).code === 'string';
}

export function problemText(error: unknown, lang: Lang, fieldLabel?: (field: string) => string | undefined): string {
  const pick = (w: Words) => (lang === 'en' ? w.en : w.zh);
  if (!isProblem(error)) return pick(OFFLINE);
  const sentence = CODES[error.code] ?? BY_STATUS[error.status] ?? (error.status >= 500 ? SERVER : BY_STATUS[400]!);
  const fields = (error.errors ?? []).map((e) => {
    const name = fieldName(e.field, lang, fieldLabel);
    return lang === 'en' ? `${name}: ${pick(fieldProblem(e.message))}` : `${name}：${pick(fieldProblem(e.message))}`;
  });
  if (fields.length === 0) return pick(sentence);
  return lang === 'en' ? `${pick(sentence)} ${fields.join('; ')}.` : `${pick(sentence)}${fields.join('；')}。`;
}
