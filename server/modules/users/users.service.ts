/**
 * Account administration. The organisation department (orgAdmin) manages every account; a unit
 * admin manages the accounts of its unit subtree that user-scope.ts allows, and nothing else:
 * an account outside its reach is refused (403) and never listed. Passwords an administrator
 * hands out are one-time passwords (generated, shown once, `mustChangePassword`, expiring);
 * disabling an account or resetting its password ends its login sessions at once.
 */
import { Types } from 'mongoose';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { storeLock } from '../../store/keyed-lock';
import { changeSignal } from '../../store/change-signal';
import { generateOneTimePassword, hashOneTimePassword, hashPassword, isStrongEnough } from '../auth/password';
import type { OrgService } from '../org/org.service';
import { toPublicUser } from './public-user';
import type { Rank, Role, UserDoc } from './user.model';
import { isDuplicateKey } from '../../store/errors';
import { mayChange, mayManage, type UserScope } from './user-scope';

/** How long a password handed out by a reset works if its holder does not change it. */
export const RESET_PASSWORD_TTL_MS = 72 * 3600_000;

export interface CreateUserInput {
  username: string;
  displayName: string;
  /** Omitted: a one-time password is generated and returned once. */
  password?: string;
  role: Role;
  rank?: Rank;
  orgUnitId?: string;
  institutionId?: string;
  phone?: string;
}
export interface UpdateUserInput {
  displayName?: string;
  disabled?: boolean;
  rank?: Rank;
  orgUnitId?: string;
  role?: Role;
  phone?: string;
  password?: string;
}
export interface ListUsersQuery {
  page: number;
  pageSize: number;
  role?: Role;
  rank?: Rank;
  orgUnitId?: string;
  disabled?: boolean;
  search?: string;
}

/** A regex matching `text` literally; a NUL is written as \x00, since BSON cannot carry one inside a pattern. */
const literal = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00'), 'i');

export class UsersService {
  constructor(
    private readonly models: Models,
    private readonly org: OrgService,
  ) {}

  /** What the actor may manage: the whole county, or a unit subtree. */
  async scope(actor: UserDoc): Promise<UserScope> {
    if (actor.role === 'orgAdmin') return { all: true };
    if (actor.role === 'unitAdmin' && actor.orgUnitId) {
      const units = await this.org.subtree(actor.orgUnitId);
      return { all: false, ownUnit: String(actor.orgUnitId), units: new Set(units.map(String)) };
    }
    throw errors.forbidden();
  }

  private async unitNames(): Promise<Map<string, string>> {
    return new Map((await this.org.flat()).map((u) => [u.id, u.name]));
  }

  private async requireUnit(orgUnitId: string) {
    if (!(await this.models.OrgUnit.exists({ _id: orgUnitId }))) throw errors.notFound('组织', 'Unit');
  }

  async create(actor: UserDoc, input: CreateUserInput) {
    const scope = await this.scope(actor);
    if (!scope.all && !input.orgUnitId) throw errors.validation('orgUnitId is required');
    if (input.orgUnitId) await this.requireUnit(input.orgUnitId);
    if (!mayManage(scope, input.role, input.orgUnitId)) throw errors.forbidden();
    if (input.password !== undefined && !isStrongEnough(input.password)) throw errors.weakPassword();
    if (input.institutionId && !(await this.models.Institution.exists({ _id: input.institutionId }))) {
      throw errors.notFound('合作院校', 'Institution');
    }
    const oneTimePassword = input.password === undefined ? generateOneTimePassword() : undefined;
    try {
      const doc = await this.models.User.create({
        username: input.username,
        displayName: input.displayName,
        passwordHash: oneTimePassword ? await hashOneTimePassword(oneTimePassword) : await hashPassword(input.password!),
        mustChangePassword: Boolean(oneTimePassword),
        passwordExpiresAt: oneTimePassword ? new Date(Date.now() + RESET_PASSWORD_TTL_MS) : undefined,
        role: input.role,
        rank: input.role === 'cadre' ? (input.rank ?? 'township') : undefined,
        orgUnitId: input.orgUnitId,
        institutionId: input.institutionId,
        phone: input.phone || undefined,
      });
      changeSignal(this.models, 'users').changed([String(doc._id)]);
      const names = input.orgUnitId ? await this.unitNames() : new Map<string, string>();
      return { ...toPublicUser(doc.toObject() as UserDoc, names.get(input.orgUnitId ?? '')), ...(oneTimePassword ? { oneTimePassword } : {}) };
    } catch (err) {
      if (isDuplicateKey(err)) {
        throw errors.conflict('USERNAME_TAKEN', '用户名已被使用', 'This username is already taken');
      }
      throw err;
    }
  }

  async list(actor: UserDoc, q: ListUsersQuery) {
    const scope = await this.scope(actor);
    const filter: Record<string, unknown> = {};
    if (q.role) filter.role = q.role;
    if (q.rank) filter.rank = q.rank;
    if (q.disabled !== undefined) filter.disabled = q.disabled ? true : { $ne: true };
    let units: Types.ObjectId[] | null = null;
    if (q.orgUnitId) units = await this.org.subtree(q.orgUnitId);
    if (!scope.all) units = (units ?? [...scope.units].map((id) => new Types.ObjectId(id))).filter((id) => scope.units.has(String(id)));
    if (units) filter.orgUnitId = { $in: units };
    const and: Record<string, unknown>[] = [];
    if (!scope.all) {
      // What user-scope.ts lets a unit admin hold: cadres and stations, unit admins below its own unit.
      and.push({ $or: [{ role: { $in: ['cadre', 'station'] } }, { role: 'unitAdmin', orgUnitId: { $ne: new Types.ObjectId(scope.ownUnit) } }] });
    }
    if (q.search) {
      const rx = literal(q.search.trim());
      and.push({ $or: [{ username: rx }, { displayName: rx }, { phone: rx }] });
    }
    if (and.length) filter.$and = and;
    const [rows, total, names] = await Promise.all([
      this.models.User.find(filter).sort({ username: 1 }).skip((q.page - 1) * q.pageSize).limit(q.pageSize).lean<UserDoc[]>(),
      this.models.User.countDocuments(filter),
      this.unitNames(),
    ]);
    return { items: rows.map((u) => toPublicUser(u, names.get(String(u.orgUnitId ?? '')))), total, page: q.page, pageSize: q.pageSize };
  }

  private async loadManaged(actor: UserDoc, id: string): Promise<{ user: UserDoc; scope: UserScope }> {
    const user = await this.models.User.findById(id).lean<UserDoc>();
    if (!user) throw errors.notFound('用户', 'User');
    const scope = await this.scope(actor);
    if (!mayManage(scope, user.role, user.orgUnitId ? String(user.orgUnitId) : null)) throw errors.forbidden();
    return { user, scope };
  }

  async get(actor: UserDoc, id: string) {
    const { user } = await this.loadManaged(actor, id);
    return toPublicUser(user, (await this.unitNames()).get(String(user.orgUnitId ?? '')));
  }

  /** Writes one user document under its key (an admin's edit and the user's own password change race). */
  private write(id: string, update: Record<string, unknown>) {
    return storeLock(this.models).run(`user:${id}`, async () => {
      const updated = await this.models.User.findByIdAndUpdate(id, update, { returnDocument: 'after' }).lean<UserDoc>();
      changeSignal(this.models, 'users').changed([id]);
      return updated;
    });
  }

  async update(actor: UserDoc, id: string, input: UpdateUserInput) {
    const { user, scope } = await this.loadManaged(actor, id);
    const self = String(user._id) === String(actor._id);
    if (self && input.disabled) {
      throw new AppError(400, 'CANNOT_DISABLE_SELF', '不能停用自己的账号', 'You cannot disable your own account');
    }
    if (self && input.role !== undefined && input.role !== user.role) {
      throw new AppError(400, 'CANNOT_CHANGE_OWN_ROLE', '不能修改自己的角色', 'You cannot change your own role');
    }
    const role = input.role ?? user.role;
    const unitId = input.orgUnitId ?? (user.orgUnitId ? String(user.orgUnitId) : undefined);
    if (input.orgUnitId !== undefined) await this.requireUnit(input.orgUnitId);
    if (!mayChange(scope, { role: user.role, unitId: user.orgUnitId ? String(user.orgUnitId) : null }, { role, unitId })) throw errors.forbidden();
    const set: Record<string, unknown> = {};
    const unset: Record<string, 1> = {};
    if (input.displayName !== undefined) set.displayName = input.displayName;
    if (input.disabled !== undefined) set.disabled = input.disabled;
    if (input.phone !== undefined) {
      if (input.phone) set.phone = input.phone;
      else unset.phone = 1;
    }
    if (input.orgUnitId !== undefined) set.orgUnitId = input.orgUnitId;
    if (input.role !== undefined) set.role = input.role;
    // A rank is a cadre's (学时要求 by rank): kept for cadres, dropped for other roles.
    if (role === 'cadre') set.rank = input.rank ?? user.rank ?? 'township';
    else if (user.rank) unset.rank = 1;
    if (input.password !== undefined) {
      if (!isStrongEnough(input.password)) throw errors.weakPassword();
      set.passwordHash = await hashPassword(input.password);
      set.failedLogins = 0;
    }
    const updated = await this.write(id, Object.keys(unset).length ? { $set: set, $unset: unset } : { $set: set });
    if (input.disabled || input.password !== undefined || input.role !== undefined) await this.models.Session.deleteMany({ userId: user._id });
    return toPublicUser(updated!, (await this.unitNames()).get(String(updated!.orgUnitId ?? '')));
  }

  /**
   * 重置密码: a new one-time password, returned once and never stored in clear; the old password
   * stops working, every login session of the account ends, and the next login must change it.
   */
  async resetPassword(actor: UserDoc, id: string) {
    const { user } = await this.loadManaged(actor, id);
    if (String(user._id) === String(actor._id)) {
      throw new AppError(400, 'CANNOT_RESET_SELF', '请通过"修改密码"更改自己的密码', 'Use "Change password" for your own account');
    }
    const oneTimePassword = generateOneTimePassword();
    const expiresAt = new Date(Date.now() + RESET_PASSWORD_TTL_MS);
    const updated = await this.write(id, {
      $set: { passwordHash: await hashOneTimePassword(oneTimePassword), mustChangePassword: true, passwordExpiresAt: expiresAt, failedLogins: 0 },
    });
    await this.models.Session.deleteMany({ userId: user._id });
    return { user: toPublicUser(updated!), oneTimePassword, expiresAt: expiresAt.toISOString() };
  }
}
