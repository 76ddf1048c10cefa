/**
 * The organisation tree: county (县委) -> party committees (基层党委) -> units (单位), and the
 * partner institutions (合作高校) that send lecturers. `ancestors` is kept on write so subtree
 * queries are one indexed find (FerretDB has no $graphLookup).
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { orgKinds } from './org-tree';

const orgUnitSchema = new Schema(
  {
    name: { type: String, required: true, trim: true },
    kind: { type: String, enum: orgKinds, required: true },
    parentId: { type: Schema.Types.ObjectId, ref: 'OrgUnit', default: null },
    ancestors: { type: [Schema.Types.ObjectId], default: [], index: true },
    code: { type: String, trim: true },
  },
  { timestamps: true },
);
orgUnitSchema.index({ parentId: 1, name: 1 }, { unique: true });

const institutionSchema = new Schema(
  {
    name: { type: String, required: true, unique: true, trim: true },
    shortName: { type: String, trim: true },
  },
  { timestamps: true },
);

export type OrgUnitModel = Model<InferSchemaType<typeof orgUnitSchema>>;
export type InstitutionModel = Model<InferSchemaType<typeof institutionSchema>>;
export const defineOrgUnitModel = (conn: Connection): OrgUnitModel => conn.model('OrgUnit', orgUnitSchema);
export const defineInstitutionModel = (conn: Connection): InstitutionModel => conn.model('Institution', institutionSchema);
