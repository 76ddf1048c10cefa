/**
 * Demo data for the quick start: a small 通榆县 with 3 party committees, 6 units, the two partner
 * universities of the article (清华大学远程教学站, 吉林大学学者讲坛) and one account of each
 * role. Idempotent: running it again leaves existing rows as they are.
 */
import type { Types } from 'mongoose';
import { hashPassword } from '../modules/auth/password';
import type { Role } from '../modules/users/user.model';
import { changeSignal } from '../store/change-signal';
import type { Models } from '../store/models';

export const DEMO_PASSWORD = 'tongyu2026';

export const demoCounty = {
  name: '通榆县',
  committees: [
    { name: '县直机关工作委员会', units: ['县委组织部', '县委党校'] },
    { name: '苏公坨乡党委', units: ['苏公坨乡人民政府', '苏公坨村党支部'] },
    { name: '开通镇党委', units: ['开通镇人民政府', '兴隆社区党委'] },
  ],
  institutions: [
    { name: '清华大学', shortName: '清华大学远程教学站' },
    { name: '吉林大学', shortName: '吉林大学学者讲坛' },
  ],
};

export const demoUsers: { username: string; displayName: string; role: Role; unit?: string; committee?: string; institution?: string; labelZh: string; labelEn: string }[] = [
  { username: 'orgadmin', displayName: '王组织', role: 'orgAdmin', unit: '县委组织部', labelZh: '组织部管理员', labelEn: 'organisation-department admin' },
  { username: 'unitadmin', displayName: '李书记', role: 'unitAdmin', committee: '苏公坨乡党委', labelZh: '单位管理员', labelEn: 'unit admin' },
  { username: 'cadre', displayName: '张伟', role: 'cadre', unit: '苏公坨村党支部', labelZh: '干部', labelEn: 'cadre' },
  { username: 'lecturer', displayName: '刘教授', role: 'lecturer', institution: '清华大学', labelZh: '授课教师', labelEn: 'lecturer' },
  { username: 'station', displayName: '苏公坨村远程教育终端站点', role: 'station', unit: '苏公坨村党支部', labelZh: '终端站点', labelEn: 'terminal station' },
];

async function upsertUnit(models: Models, name: string, kind: 'county' | 'committee' | 'unit', parent?: { _id: Types.ObjectId; ancestors: Types.ObjectId[] }) {
  const { OrgUnit } = models;
  const existing = await OrgUnit.findOne({ name, parentId: parent?._id ?? null }).lean();
  if (existing) return existing;
  const doc = await OrgUnit.create({ name, kind, parentId: parent?._id ?? null, ancestors: parent ? [...parent.ancestors, parent._id] : [] });
  return doc.toObject();
}

export async function seedDemo(models: Models) {
  const county = await upsertUnit(models, demoCounty.name, 'county');
  const unitIds = new Map<string, Types.ObjectId>();
  for (const c of demoCounty.committees) {
    const committee = await upsertUnit(models, c.name, 'committee', county);
    unitIds.set(c.name, committee._id);
    for (const u of c.units) unitIds.set(u, (await upsertUnit(models, u, 'unit', committee))._id);
  }
  const instIds = new Map<string, Types.ObjectId>();
  for (const i of demoCounty.institutions) {
    const doc = await models.Institution.findOneAndUpdate({ name: i.name }, { $setOnInsert: i }, { upsert: true, returnDocument: 'after' }).lean();
    instIds.set(i.name, doc!._id);
  }
  const hash = await hashPassword(DEMO_PASSWORD);
  const created: string[] = [];
  for (const u of demoUsers) {
    if (await models.User.exists({ username: u.username })) continue;
    await models.User.create({
      username: u.username,
      displayName: u.displayName,
      passwordHash: hash,
      role: u.role,
      rank: u.role === 'cadre' ? 'township' : undefined,
      orgUnitId: unitIds.get(u.unit ?? u.committee ?? ''),
      institutionId: u.institution ? instIds.get(u.institution) : undefined,
    });
    created.push(u.username);
  }
  // A writer of users says so (store/change-signal.ts): a portal running on this store reads them again.
  if (created.length) changeSignal(models, 'users').changed(null);
  return { countyId: county._id, unitIds, instIds, created };
}
