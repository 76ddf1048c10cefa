/**
 * Who is asking, for scoping training data: the org admin sees the county; a unit admin their
 * unit subtree (本单位及下属单位) plus the units above (a class open to their committee is open
 * to them); a cadre their own unit and the units above it. Units are a small collection read
 * whole (org.service.ts). Also the module's domain errors, each with a stable code and, for bad
 * input, the field it concerns.
 */
import { AppError, errors } from '../../errors';
import { pathTo, subtreeIds, type FlatNode } from '../org/org-tree';
import type { OrgService } from '../org/org.service';
import type { UserDoc } from '../users/user.model';

export interface Scope {
  user: UserDoc;
  userId: string;
  /** The unit subtree an admin acts for; null = the whole county (org admin) or not an admin. */
  units: Set<string> | null;
  /** The actor's unit followed by the units above it. */
  path: string[];
  unitName: (id: string) => string;
  flat: FlatNode[];
}

export async function scopeOf(org: OrgService, user: UserDoc): Promise<Scope> {
  const flat = await org.flat();
  const names = new Map(flat.map((u) => [u.id, u.name]));
  const unitId = user.orgUnitId ? String(user.orgUnitId) : null;
  const path = unitId ? pathTo(flat, unitId).map((u) => u.id).reverse() : [];
  let units: Set<string> | null = null;
  if (user.role === 'unitAdmin') {
    if (!unitId) throw errors.forbidden();
    units = subtreeIds(flat, unitId);
  }
  return { user, userId: String(user._id), units, path, unitName: (id) => names.get(id) ?? '', flat };
}

/** A 400 whose details name the field. */
const bad = (code: string, field: string, zh: string, en: string) => new AppError(400, code, zh, en, { field });

export const trainingErrors = {
  classNotFound: () => errors.notFound('培训班', 'Training class'),
  claimNotFound: () => errors.notFound('外出培训登记', 'External training record'),
  badDates: () => bad('TRAINING_BAD_DATES', 'endDay', '结束日期不能早于开始日期', 'The end day cannot be before the start day'),
  badWithdrawBy: () => bad('TRAINING_BAD_WITHDRAW_BY', 'withdrawBy', '退出截止日期不能晚于结束日期', 'The withdrawal deadline cannot be after the end day'),
  unknownUnit: () => bad('TRAINING_UNKNOWN_UNIT', 'unitIds', '所选单位不存在', 'A chosen unit does not exist'),
  badManager: () => bad('TRAINING_BAD_MANAGER', 'managerIds', '班主任须为组织部或单位管理员', 'Class managers must be org or unit admins'),
  notCadre: () => bad('TRAINING_NOT_CADRE', 'userIds', '所选人员不是在册干部', 'A chosen person is not an active cadre'),
  hoursAllowed: () => bad('TRAINING_HOURS_ALLOWED', 'hoursAllowed', '认定学时须大于 0 且不超过申报学时', 'Hours allowed must be above 0 and at most the hours claimed'),
  reasonNeeded: () => bad('TRAINING_REASON_REQUIRED', 'reason', '请填写不予通过的理由', 'Give a reason for the refusal'),
  futureTraining: () => bad('TRAINING_EXTERNAL_FUTURE', 'endDay', '培训尚未结束,结束后再登记', 'The training has not ended yet; record it after it ends'),
  badClaimDates: () => bad('TRAINING_BAD_DATES', 'endDay', '结束日期不能早于开始日期', 'The end day cannot be before the start day'),
  capacityBelow: (taken: number) => new AppError(409, 'TRAINING_CAPACITY_BELOW_ENROLLED', `已有 ${taken} 人报名成功,名额不能少于此数`, `${taken} cadres are enrolled: capacity cannot be below that`, { field: 'capacity', taken }),
  notManager: () => new AppError(403, 'TRAINING_NOT_MANAGER', '只有该班班主任或组织部可以管理学员', 'Only the class managers or the organisation department manage its roster'),
  outOfScope: () => new AppError(403, 'TRAINING_OUT_OF_SCOPE', '只能调训本单位及下属单位的干部', 'You can assign only cadres of your own units'),
  notOpen: () => errors.conflict('TRAINING_NOT_OPEN', '该培训班不接受报名', 'This class does not take applications'),
  applicationsClosed: () => errors.conflict('TRAINING_APPLICATIONS_CLOSED', '培训班已开班,报名已截止', 'The class has started: applications are closed'),
  already: () => errors.conflict('TRAINING_ALREADY_ENROLLED', '您已报名该培训班', 'You already applied to this class'),
  full: (left: number) => new AppError(409, 'TRAINING_CLASS_FULL', `名额不足,剩余 ${left} 个名额`, `Not enough places: ${left} left`, { placesLeft: left }),
  withdrawClosed: () => errors.conflict('TRAINING_WITHDRAW_CLOSED', '已过退出截止日期,请联系班主任', 'The withdrawal deadline has passed; contact the class manager'),
  assignedStays: () => errors.conflict('TRAINING_ASSIGNED', '调训学员不能自行退出,请联系班主任', 'Assigned cadres cannot withdraw themselves; contact the class manager'),
  nothingToWithdraw: () => errors.conflict('TRAINING_NOT_ENROLLED', '您没有报名该培训班', 'You have not applied to this class'),
  badTransition: () => errors.conflict('TRAINING_BAD_STATE', '该学员当前状态不能执行此操作', 'This cannot be done in the enrolment’s current state'),
  notEnded: () => errors.conflict('TRAINING_NOT_ENDED', '培训班结束当天起才能结业', 'Completion is possible from the class’s last day on'),
  hasAttendance: () => errors.conflict('TRAINING_HAS_ATTENDANCE', '已有学员签到记录,不能删除', 'Cadres have checked in at this class: it cannot be deleted'),
  hasCompletions: () => errors.conflict('TRAINING_HAS_COMPLETIONS', '已有学员结业并计入学时,不能删除', 'Cadres have completed this class and were credited: it cannot be deleted'),
  decided: () => errors.conflict('TRAINING_CLAIM_DECIDED', '该登记已认定,不能再修改', 'This record has already been decided'),
};
