/** Organisation units and partner institutions, over the rules in org-tree.ts. */
import { Types } from 'mongoose';
import { AppError, errors } from '../../errors';
import type { Models } from '../../store/models';
import { buildTree, canPlace, type FlatNode, type OrgKind } from './org-tree';
import { isDuplicateKey } from '../../store/errors';


export class OrgService {
  constructor(private readonly models: Models) {}

  async flat(): Promise<FlatNode[]> {
    const rows = await this.models.OrgUnit.find({}, { name: 1, kind: 1, parentId: 1 }).lean();
    return rows.map((r) => ({ id: String(r._id), name: r.name, kind: r.kind as OrgKind, parentId: r.parentId ? String(r.parentId) : null }));
  }

  async tree() {
    return buildTree(await this.flat());
  }

  async createUnit(input: { name: string; kind: OrgKind; parentId?: string | null }) {
    const { OrgUnit } = this.models;
    const parent = input.parentId ? await OrgUnit.findById(input.parentId).lean() : null;
    if (input.parentId && !parent) throw errors.notFound('上级组织', 'Parent unit');
    if (!canPlace(input.kind, (parent?.kind as OrgKind | undefined) ?? null)) {
      throw new AppError(400, 'INVALID_PARENT', '组织层级不正确:县 → 基层党委 → 单位', 'Invalid placement: county -> party committee -> unit');
    }
    if (input.kind === 'county' && (await OrgUnit.exists({ kind: 'county' }))) {
      throw errors.conflict('COUNTY_EXISTS', '已存在县级根节点', 'The county root already exists');
    }
    try {
      const doc = await OrgUnit.create({
        name: input.name,
        kind: input.kind,
        parentId: parent?._id ?? null,
        ancestors: parent ? [...parent.ancestors, parent._id] : [],
      });
      return { id: String(doc._id), name: doc.name, kind: doc.kind as OrgKind, parentId: parent ? String(parent._id) : null };
    } catch (err) {
      if (isDuplicateKey(err)) throw errors.conflict('UNIT_NAME_TAKEN', '同一上级下已有同名组织', 'A unit with this name already exists under the same parent');
      throw err;
    }
  }

  /** The unit and all units below it, as ObjectIds (one indexed query on `ancestors`). */
  async subtree(unitId: Types.ObjectId | string): Promise<Types.ObjectId[]> {
    const id = new Types.ObjectId(String(unitId));
    const rows = await this.models.OrgUnit.find({ $or: [{ _id: id }, { ancestors: id }] }, { _id: 1 }).lean();
    return rows.map((r) => r._id);
  }

  async listInstitutions() {
    const rows = await this.models.Institution.find().sort({ name: 1 }).lean();
    return rows.map((r) => ({ id: String(r._id), name: r.name, shortName: r.shortName ?? undefined }));
  }

  async createInstitution(input: { name: string; shortName?: string }) {
    try {
      const doc = await this.models.Institution.create(input);
      return { id: String(doc._id), name: doc.name, shortName: doc.shortName ?? undefined };
    } catch (err) {
      if (isDuplicateKey(err)) throw errors.conflict('INSTITUTION_EXISTS', '该合作院校已存在', 'This institution already exists');
      throw err;
    }
  }
}
