/**
 * Account administration. The organisation department (orgAdmin) manages every account; a unit
 * admin manages cadres and stations of its own unit and the units below it, and nothing else.
 */
import { Types } from 'mongoose';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { storeLock } from '../../store/keyed-lock';
import { hashPassword, isStrongEnough } from '../auth/password';
import type { OrgService } from '../org/org.service';
import { toPublicUser } from './public-user';
import type { Rank, Role, UserDoc } from './user.model';
import { isDuplicateKey } from '../../store/errors';

export interface CreateUserInput {
  username: string;
  displayName: string;
  password: string;
  role: Role;
  rank?: Rank;
  orgUnitId?: string;
  institutionId?: string;
}
export interface UpdateUserInput {
  displayName?: string;
  disabled?: boolean;
  rank?: Rank;
  orgUnitId?: string;
  password?: string;
}

const unitAdminMayManage: Role[] = ['cadre', 'station'];

export class UsersService {
  constructor(
    private readonly models: Models,
    private readonly org: OrgService,
  ) {}

  /** The unit ids the actor may manage, or null for everywhere. */
  private async scope(actor: UserDoc): Promise<Types.ObjectId[] | null> {
    if (actor.role === 'orgAdmin') return null;
    if (actor.role === 'unitAdmin' && actor.orgUnitId) return this.org.subtree(actor.orgUnitId);
    throw errors.forbidden();
  }

  private async checkUnit(actor: UserDoc, orgUnitId: string | undefined, role: Role) {
    const scope = await this.scope(actor);
    if (scope && !unitAdminMayManage.includes(role)) throw errors.forbidden();
    if (!orgUnitId) {
      if (scope) throw errors.validation('orgUnitId is required');
      return;
    }
    if (!(await this.models.OrgUnit.exists({ _id: orgUnitId }))) throw errors.notFound('组织', 'Unit');
    if (scope && !scope.some((id) => id.equals(orgUnitId))) throw errors.forbidden();
  }

  async create(actor: UserDoc, input: CreateUserInput) {
    await this.checkUnit(actor, input.orgUnitId, input.role);
    if (!isStrongEnough(input.password)) throw errors.weakPassword();
    if (input.institutionId && !(await this.models.Institution.exists({ _id: input.institutionId }))) {
      throw errors.notFound('合作院校', 'Institution');
    }
    try {
      const doc = await this.models.User.create({
        username: input.username,
        displayName: input.displayName,
        passwordHash: await hashPassword(input.password),
        role: input.role,
        rank: input.role === 'cadre' ? (input.rank ?? 'township') : undefined,
        orgUnitId: input.orgUnitId,
        institutionId: input.institutionId,
      });
      return toPublicUser(doc.toObject() as UserDoc);
    } catch (err) {
      if (isDuplicateKey(err)) {
        throw errors.conflict('USERNAME_TAKEN', '用户名已被使用', 'This username is already taken');
      }
      throw err;
    }
  }

  async list(actor: UserDoc, q: { page: number; pageSize: number; role?: Role; orgUnitId?: string; search?: string }) {
    const scope = await this.scope(actor);
    const filter: Record<string, unknown> = {};
    if (q.role) filter.role = q.role;
    if (q.orgUnitId) {
      const sub = await this.org.subtree(q.orgUnitId);
      filter.orgUnitId = { $in: scope ? sub.filter((id) => scope.some((s) => s.equals(id))) : sub };
    } else if (scope) {
      filter.orgUnitId = { $in: scope };
    }
    if (q.search) {
      // Literal text; a NUL is written as \x00, since BSON cannot carry one inside a pattern.
      const rx = new RegExp(q.search.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00'), 'i');
      filter.$or = [{ username: rx }, { displayName: rx }];
    }
    const [rows, total] = await Promise.all([
      this.models.User.find(filter).sort({ username: 1 }).skip((q.page - 1) * q.pageSize).limit(q.pageSize).lean<UserDoc[]>(),
      this.models.User.countDocuments(filter),
    ]);
    return { items: rows.map((u) => toPublicUser(u)), total, page: q.page, pageSize: q.pageSize };
  }

  private async loadManaged(actor: UserDoc, id: string): Promise<UserDoc> {
    const user = await this.models.User.findById(id).lean<UserDoc>();
    if (!user) throw errors.notFound('用户', 'User');
    const scope = await this.scope(actor);
    if (scope) {
      if (!unitAdminMayManage.includes(user.role)) throw errors.forbidden();
      if (!user.orgUnitId || !scope.some((s) => s.equals(user.orgUnitId!))) throw errors.forbidden();
    }
    return user;
  }

  async get(actor: UserDoc, id: string) {
    return toPublicUser(await this.loadManaged(actor, id));
  }

  async update(actor: UserDoc, id: string, input: UpdateUserInput) {
    const user = await this.loadManaged(actor, id);
    if (String(user._id) === String(actor._id) && input.disabled) {
      throw new AppError(400, 'CANNOT_DISABLE_SELF', '不能停用自己的账号', 'You cannot disable your own account');
    }
    const set: Record<string, unknown> = {};
    if (input.displayName !== undefined) set.displayName = input.displayName;
    if (input.disabled !== undefined) set.disabled = input.disabled;
    if (input.rank !== undefined) set.rank = input.rank;
    if (input.orgUnitId !== undefined) {
      await this.checkUnit(actor, input.orgUnitId, user.role);
      set.orgUnitId = input.orgUnitId;
    }
    if (input.password !== undefined) {
      if (!isStrongEnough(input.password)) throw errors.weakPassword();
      set.passwordHash = await hashPassword(input.password);
      set.failedLogins = 0;
    }
    // Under the user's key: an admin's edit and the user's own password change rewrite one document.
    const updated = await storeLock(this.models).run(`user:${id}`, () => this.models.User.findByIdAndUpdate(id, { $set: set }, { returnDocument: 'after' }).lean<UserDoc>());
    if (input.disabled || input.password !== undefined) await this.models.Session.deleteMany({ userId: user._id });
    return toPublicUser(updated!);
  }
}
